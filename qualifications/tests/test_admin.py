"""The admin upload, progress page and error download, through HTTP."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from docregistry.accounts.models import Role
from qualifications.models import ImportBatch, Qualification
from tests.factories import UserFactory

from .rosters import person, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def upload(client, path, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            reverse("admin:qualifications_importbatch_upload"),
            {"file": SimpleUploadedFile(path.name, path.read_bytes()), **data},
        )


def test_changelist_links_to_the_upload_page(client, operator):
    page = client.get(reverse("admin:qualifications_importbatch_changelist"))
    assert reverse("admin:qualifications_importbatch_upload") in page.content.decode()
    assert client.get(reverse("admin:qualifications_importbatch_add")).url == reverse(
        "admin:qualifications_importbatch_upload"
    )


def test_upload_imports_and_shows_the_result(client, operator, tmp_path, django_capture_on_commit_callbacks):
    response = upload(
        client, write_csv(tmp_path, [person(1), person(2)], encoding="gbk"), django_capture_on_commit_callbacks
    )
    batch = ImportBatch.objects.get()
    assert response.url == reverse("admin:qualifications_importbatch_progress", args=[batch.pk])
    assert batch.uploaded_by == operator
    assert batch.file.name.startswith("rosters/")
    page = client.get(response.url).content.decode()
    assert "已导入" in page
    assert "新增 2 条，更新 0 条，未变 0 条" in page
    assert 'http-equiv="refresh"' not in page
    assert Qualification.objects.count() == 2


def test_failed_upload_lists_errors_and_offers_them_as_csv(
    client, operator, tmp_path, django_capture_on_commit_callbacks
):
    rows = [person(1), person(2)]
    rows[1][4] = "外科"
    response = upload(client, write_csv(tmp_path, rows), django_capture_on_commit_callbacks)
    page = client.get(response.url).content.decode()
    assert "已拒绝" in page
    assert "未导入任何记录" in page
    assert "外科" in page
    batch = ImportBatch.objects.get()
    download = client.get(reverse("admin:qualifications_importbatch_errors", args=[batch.pk]))
    assert download["Content-Type"].startswith("text/csv")
    text = download.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "行,列,值,问题"
    assert text.splitlines()[1].startswith("3,类别,外科,")
    assert Qualification.objects.count() == 0


def test_a_running_import_page_refreshes_itself(client, operator):
    batch = ImportBatch.objects.create(
        file_name="big.csv", state=ImportBatch.State.RUNNING, rows_total=1000, rows_done=250
    )
    page = client.get(reverse("admin:qualifications_importbatch_progress", args=[batch.pk])).content.decode()
    assert 'http-equiv="refresh"' in page
    assert 'value="25"' in page


def test_wrong_file_type_is_refused(client, operator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:qualifications_importbatch_upload"),
            {"file": SimpleUploadedFile("roster.pdf", b"%PDF-1.4")},
        )
    assert response.status_code == 200
    assert ImportBatch.objects.count() == 0


def test_only_staff_with_permission_may_upload(client, tmp_path):
    url = reverse("admin:qualifications_importbatch_upload")
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True))
    assert client.get(url).status_code == 403
    physician = UserFactory(role=Role.PHYSICIAN)
    client.force_login(physician)
    assert client.get(url).status_code == 302


def test_qualifications_are_searchable_and_read_only(client, operator, tmp_path, django_capture_on_commit_callbacks):
    row = person(1)
    upload(client, write_csv(tmp_path, [row]), django_capture_on_commit_callbacks)
    page = client.get(reverse("admin:qualifications_qualification_changelist"), {"q": row[2]})
    assert row[1] in page.content.decode()
    record = Qualification.objects.get()
    change = client.get(reverse("admin:qualifications_qualification_change", args=[record.pk]))
    assert change.status_code == 200
    assert 'name="name"' not in change.content.decode()


def test_progress_reported_by_the_worker_is_shown(client, operator):
    from django.core.cache import cache

    from qualifications.services import progress_key

    batch = ImportBatch.objects.create(file_name="big.csv", state=ImportBatch.State.RUNNING, rows_total=0)
    cache.set(progress_key(batch.pk), (600_000, 1_000_000))
    page = client.get(reverse("admin:qualifications_importbatch_progress", args=[batch.pk])).content.decode()
    assert 'value="60"' in page
    assert "已读取 600000 行，共约 1000000 行" in page
    cache.delete(progress_key(batch.pk))
