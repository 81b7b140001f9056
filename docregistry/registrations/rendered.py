"""Rendered PDFs kept for re-use in the site's file storage, shared by every web node and worker.

With ``STORAGE_URL``/``AWS_*`` that is object storage (django-storages' S3 backend), otherwise the
private media folder: no web node keeps a PDF of its own, and none sits in the Redis cache (a
batch of fifty forms is about 2 MB). A key names one version of one document,
``reviewform:v3:<pk>:<version>:<digest>``, stored as ``rendered/reviewform/v3/<pk>/<version>-<digest>.pdf``;
storing a version removes the older ones of the same document, so the folder holds one PDF per
document however often it changes.
"""

from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

FOLDER = "rendered"


def path_of(key: str) -> str:
    *document, version, digest = key.split(":")
    return "/".join([FOLDER, *document, f"{version}-{digest}.pdf"])


def get(key: str) -> bytes | None:
    try:
        with default_storage.open(path_of(key), "rb") as stored:
            return stored.read()
    except FileNotFoundError:
        return None


def get_many(keys: Iterable[str]) -> dict[str, bytes]:
    found = {key: get(key) for key in keys}
    return {key: pdf for key, pdf in found.items() if pdf is not None}


def put(key: str, pdf: bytes) -> None:
    path = path_of(key)
    folder, name = path.rsplit("/", 1)
    if default_storage.exists(path):
        return  # the same version, rendered by another node meanwhile
    default_storage.save(path, ContentFile(pdf))
    try:
        _folders, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for older in names:
        if older != name:
            default_storage.delete(f"{folder}/{older}")


def put_many(pdfs: dict[str, bytes]) -> None:
    for key, pdf in pdfs.items():
        put(key, pdf)
