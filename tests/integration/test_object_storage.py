"""Uploads in object storage (S3 API through django-storages), against moto's S3 server over HTTP.

The fixture starts moto's server on a free port of this machine; nothing reaches the internet.
"""

import contextlib
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from docregistry.registrations.models import Document
from docregistry.settings.base import object_storage
from qualifications import services as roster_services
from qualifications.models import ImportBatch, Qualification
from qualifications.tests.rosters import person, write_csv
from tests import factories

from .conftest import on_postgresql, stop, test_database_url, unavailable
from .test_production_run import free_port

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_S3_REGION_NAME": "us-east-1"}


class S3:
    def __init__(self, endpoint: str, bucket: str):
        import boto3

        self.endpoint, self.bucket = endpoint, bucket
        self.env = {**CREDENTIALS, "AWS_S3_ENDPOINT_URL": endpoint, "STORAGE_URL": f"s3://{bucket}/uploads"}
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 -- moto's
        )

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture
def s3(settings, monkeypatch, tmp_path):
    """moto's S3 server on a free port, a fresh bucket, and this process's default storage pointed at it."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unavailable(f"moto's S3 server is not installed (pip install 'moto[server]'): {exc}")

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        store = S3(f"http://127.0.0.1:{port}", f"docregistry-{uuid.uuid4().hex[:8]}")
        store.client.create_bucket(Bucket=store.bucket)
        for name, value in store.env.items():
            monkeypatch.setenv(name, value)
        settings.STORAGES = {**settings.STORAGES, "default": object_storage(store.env)}
        settings.MEDIA_ROOT = tmp_path / "media"  # must stay empty
        yield store
    finally:
        server.stop()


def test_the_environment_selects_object_storage_or_the_local_folder():
    assert object_storage({}) is None
    found = object_storage({"STORAGE_URL": "s3://registry-files/prod", "AWS_S3_ENDPOINT_URL": "http://minio:9000"})
    assert found["BACKEND"] == "storages.backends.s3.S3Storage"
    assert found["OPTIONS"]["bucket_name"] == "registry-files"
    assert found["OPTIONS"]["location"] == "prod"
    assert found["OPTIONS"]["endpoint_url"] == "http://minio:9000"
    assert object_storage({"AWS_STORAGE_BUCKET_NAME": "b"})["OPTIONS"]["bucket_name"] == "b"


@pytest.mark.django_db
def test_a_document_is_stored_in_the_bucket_and_served_back_to_its_owner(s3, client, tmp_path, settings):
    world = factories.World.create()
    application = world.draft()
    client.force_login(world.physician)
    client.post(
        reverse("physicians:document_upload", args=[application.pk]),
        {"kind": Document.Kind.TRAINING_PROOF, "file": SimpleUploadedFile("证明.pdf", PDF, "application/pdf")},
    )
    document = application.documents.get()
    assert s3.keys() == [f"uploads/{document.file.name}"]
    assert not Path(settings.MEDIA_ROOT).exists()  # nothing on this node's disk
    response = client.get(reverse("physicians:document", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF

    s3.client.delete_object(Bucket=s3.bucket, Key=f"uploads/{document.file.name}")
    assert client.get(reverse("physicians:document", args=[document.pk])).status_code == 404


@pytest.mark.django_db
def test_a_rendered_review_form_is_kept_in_the_bucket_not_on_the_node(s3, settings):
    from docregistry.registrations import reviewform

    application = factories.World.create().submitted()
    pdf = reviewform.render_review_form(application)
    assert s3.keys() == [
        f"uploads/rendered/reviewform/{reviewform.CACHE_PREFIX.split(':')[1]}/{application.pk}/"
        f"{reviewform.cache_key(application).split(':', 3)[3].replace(':', '-')}.pdf"
    ]
    assert not Path(settings.MEDIA_ROOT).exists()
    assert reviewform.render_review_form(application) == pdf  # read back from the bucket


@pytest.mark.django_db
def test_a_roster_upload_is_imported_from_the_bucket(s3, tmp_path, django_capture_on_commit_callbacks):
    path = write_csv(tmp_path, [person(1), person(2)])
    with django_capture_on_commit_callbacks(execute=True):
        batch = roster_services.import_batch_create(uploaded_file=SimpleUploadedFile("名单.csv", path.read_bytes()))
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE, batch.errors
    assert s3.keys() == [f"uploads/{batch.file.name}"]
    assert Qualification.objects.count() == 2


# --- two web processes, no shared folder --------------------------------------------------------


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@contextlib.contextmanager
def web_node(env: dict, tmp_path: Path, name: str):
    """A gunicorn process with its own temporary folder (and so its own MEDIA_ROOT)."""
    port = free_port()
    own = tmp_path / name
    own.mkdir()
    log = own / "gunicorn.log"
    node_env = {**env, "TMPDIR": str(own), "DOCREGISTRY_VAR_DIR": str(own / "var")}
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "docregistry.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--access-logfile", "-",
    ]  # fmt: skip
    with open(log, "w") as out:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=node_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).close()  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        yield base, own
    finally:
        stop(process)


def test_a_document_uploaded_through_one_node_is_downloaded_through_another(
    s3, client, tmp_path, transactional_db, django_db_serialized_rollback
):
    if not on_postgresql():
        unavailable("needs DATABASE_URL=postgres://… (the two web processes share the test database)")
    world = factories.World.create()
    application = world.draft()
    client.force_login(world.physician)
    session = client.cookies["sessionid"].value
    csrf = secrets.token_hex(16)  # a 32-character secret, sent as cookie and header (no HTTPS here)
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "MEDIA_ROOT"}},
        **s3.env,
        "DJANGO_SETTINGS_MODULE": "docregistry.settings.test",
        "DATABASE_URL": test_database_url(),
    }
    opener = urllib.request.build_opener(NoRedirect)
    headers = {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}
    with web_node(env, tmp_path, "a") as (node_a, folder_a), web_node(env, tmp_path, "b") as (node_b, folder_b):
        body, content_type = _multipart(
            {"kind": Document.Kind.TRAINING_PROOF}, {"file": ("培训证明.pdf", PDF, "application/pdf")}
        )
        upload = urllib.request.Request(
            node_a + reverse("physicians:document_upload", args=[application.pk]),
            data=body,
            headers={**headers, "Content-Type": content_type},
            method="POST",
        )
        try:
            opener.open(upload, timeout=30)
        except urllib.error.HTTPError as exc:
            assert exc.code == 302, (folder_a / "gunicorn.log").read_text()[-3000:]
        document = application.documents.get()
        download = urllib.request.Request(node_b + reverse("physicians:document", args=[document.pk]), headers=headers)
        with opener.open(download, timeout=30) as response:
            assert response.status == 200
            assert response.read() == PDF
    assert s3.keys() == [f"uploads/{document.file.name}"]
    for folder in (folder_a, folder_b):
        assert not [p for p in folder.rglob("*") if p.suffix == ".pdf"], f"a file was kept on disk in {folder}"
