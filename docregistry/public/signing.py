"""The site's signing key and certificate, and the PAdES signature they put on a PDF (pyHanko).

The pair comes from the environment (``CERTIFICATE_SIGNING_KEY`` and
``CERTIFICATE_SIGNING_CERT``: PEM files; ``CERTIFICATE_SIGNING_PASSPHRASE`` if the key is
encrypted). ``python manage.py make_signing_pair`` writes a self-signed pair for development
(``make run`` does it under ``var/signing/``); production uses a certificate its CA issued.
"""

import datetime
import io
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

SIGNER_NAME = "docregistry 医师电子化注册系统"
MSG_UNAVAILABLE = _("The electronic certificate cannot be issued yet: the site has no signing key. Please try later.")


def signer():
    from pyhanko.sign import signers

    key, cert = Path(settings.CERTIFICATE_SIGNING_KEY), Path(settings.CERTIFICATE_SIGNING_CERT)
    if not (key.is_file() and cert.is_file()):
        raise ImproperlyConfigured(
            f"no signing pair at {key} and {cert}: set CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT "
            "or run `python manage.py make_signing_pair`"
        )
    passphrase = settings.CERTIFICATE_SIGNING_PASSPHRASE.encode() or None
    loaded = signers.SimpleSigner.load(str(key), str(cert), key_passphrase=passphrase)
    if loaded is None:
        raise ImproperlyConfigured(f"cannot load the signing pair {key}, {cert}")
    return loaded


def is_configured() -> bool:
    return Path(settings.CERTIFICATE_SIGNING_KEY).is_file() and Path(settings.CERTIFICATE_SIGNING_CERT).is_file()


def sign_pdf(pdf: bytes, *, reason: str, location: str) -> bytes:
    """``pdf`` with a PAdES (ETSI.CAdES.detached) signature by the site's key; a PDF reader shows the signer."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=SIGNER_NAME,
    )
    out = signers.sign_pdf(writer, meta, signer=signer())
    return out.getvalue()


def make_self_signed_pair(key_path: Path, cert_path: Path, *, common_name: str = SIGNER_NAME, days: int = 825) -> None:
    """A new RSA key and a self-signed certificate for document signing (development and tests)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "docregistry"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
