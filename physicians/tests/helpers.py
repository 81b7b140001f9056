"""Building the POST data of the application form, as the browser sends it."""

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf(name="proof.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def form_data(application, periods=(), **changes) -> dict:
    data = {
        "institution": application.institution_id or "",
        "education": application.education or "本科",
        "title": application.title,
        "teaching_title": application.teaching_title,
        "health_status": application.health_status or "良好",
        "scope": application.scope,
        "site_starts_on": application.site_starts_on or "",
        "site_ends_on": application.site_ends_on or "",
        "cancellation_reason": application.cancellation_reason,
        "periods-TOTAL_FORMS": str(len(periods)),
        "periods-INITIAL_FORMS": "0",
        "periods-MIN_NUM_FORMS": "0",
        "periods-MAX_NUM_FORMS": "1000",
    }
    if application.practice_suspended:
        data["practice_suspended"] = "on"
    for n, (starts_on, ends_on, employer, position) in enumerate(periods):
        data.update(
            {
                f"periods-{n}-starts_on": starts_on,
                f"periods-{n}-ends_on": ends_on,
                f"periods-{n}-employer": employer,
                f"periods-{n}-position": position,
            }
        )
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
