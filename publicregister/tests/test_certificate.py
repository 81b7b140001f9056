"""The electronic practice certificate: downloaded by the physician, signed (PAdES), verified by its QR code."""

import io

import pytest
from django.urls import reverse
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from docregistry.public.signing import SIGNER_NAME, make_self_signed_pair
from institutions.tests.pdfcheck import pdf_fonts, pdf_pages, pdf_text, qr_codes
from publicregister.tests.helpers import cancelled, registered
from publicregister.tests.test_verify import path_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def signing_pair(tmp_path, settings):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    make_self_signed_pair(key, cert)
    settings.CERTIFICATE_SIGNING_KEY, settings.CERTIFICATE_SIGNING_CERT = str(key), str(cert)
    return cert


def download(client, world, registration):
    client.force_login(world.physician)
    return client.get(reverse("physicians:certificate", args=[registration.pk]))


def signature_status(pdf: bytes, cert_path):
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_signatures
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(cert_path))])
    return signature, validate_pdf_signature(signature, context)


def test_the_physician_downloads_a_signed_certificate_a_reader_can_check(client, world, signing_pair):
    registration = registered(world)

    response = download(client, world, registration)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf).replace(" ", "").replace("\u3000", "")
    sex = "男" if int(world.physician.id_number[16]) % 2 else "女"
    for printed in (
        "医师执业证书",
        "张伟",
        f"性别{sex}",
        "1990年1月1日",
        "执业医师",
        "临床",
        "内科专业",
        world.institution.name,
        "北京市",
        registration.certificate_code,
        world.authority.name,
    ):
        assert printed in text, printed
    assert world.physician.id_number not in text
    assert all(pdf_fonts(pdf).values())
    signature, status = signature_status(pdf, signing_pair)
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES baseline
    assert status.signing_cert.subject.native["common_name"] == SIGNER_NAME
    assert status.coverage.name == "ENTIRE_FILE"


def test_an_altered_certificate_fails_the_signature_check(client, world, signing_pair):
    pdf = download(client, world, registered(world)).content
    index = pdf.index(b"/MediaBox") + 1  # inside the signed bytes
    altered = pdf[:index] + (b"N" if pdf[index : index + 1] != b"N" else b"M") + pdf[index + 1 :]
    _signature, status = signature_status(altered, signing_pair)
    assert not status.intact


def test_the_qr_opens_a_verification_page_that_shows_a_later_cancellation(client, world, signing_pair):
    registration = registered(world)
    pdf = download(client, world, registration).content
    (scanned,) = qr_codes(pdf, 0, scale=3)
    client.logout()
    page = client.get(path_of(scanned)).content.decode()
    assert 'data-verify="current"' in page and registration.certificate_code in page
    assert world.physician.id_number not in page and "1990年1月1日" not in page

    cancelled(world, registration)

    page = client.get(path_of(scanned)).content.decode()
    assert 'data-verify="caution"' in page
    assert "该注册已不在有效状态" in page and "已注销" in page


def test_another_physicians_registration_is_a_404(client, world, signing_pair):
    from tests.factories import PhysicianFactory

    registration = registered(world)
    client.force_login(PhysicianFactory(real_name="李娜"))
    assert client.get(reverse("physicians:certificate", args=[registration.pk])).status_code == 404
