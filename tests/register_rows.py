"""Many registrations at once, written directly (the pipeline makes one at a time): for the register lists' tests."""

import datetime
import html
import re

from docregistry.accounts.models import Role, User
from docregistry.registrations.models import Registration
from docregistry.registrations.register_models import InstitutionReport

START = datetime.date(2024, 1, 1)


def registrations(world, names: list[str], *, institution=None, first_code: int = 1) -> list[Registration]:
    """One physician and one registration in force per name, the n-th effective ``START + n`` days."""
    made = []
    for n, name in enumerate(names):
        physician = User.objects.create(username=f"reg{first_code + n}", role=Role.PHYSICIAN, real_name=name)
        made.append(
            Registration.objects.create(
                physician=physician,
                name=name,
                certificate_code=f"110110105{first_code + n:06d}",
                institution=institution or world.institution,
                authority=world.authority,
                level="physician",
                category="clinical",
                scope="内科专业",
                effective_on=START + datetime.timedelta(days=n),
            )
        )
    return made


def open_reports(world, registrations_: list[Registration]) -> list[InstitutionReport]:
    """A departure reported on each registration, waiting for the authority."""
    return [
        InstitutionReport.objects.create(
            registration=r,
            institution=r.institution,
            kind=InstitutionReport.Kind.DEPARTURE,
            reason=InstitutionReport.Reason.TRANSFER,
            occurred_on=START,
            main=True,
            reported_by=world.staff,
        )
        for r in registrations_
    ]


def link(page: str, rel: str) -> str | None:
    """The href of the page's ``rel="next"`` or ``rel="prev"`` link."""
    found = re.search(rf'href="([^"]*)" rel="{rel}"', page)
    return html.unescape(found.group(1)) if found else None
