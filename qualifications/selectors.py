"""Reads of the roster: which records are a person's."""

from django.db.models import QuerySet

from docregistry.validators import normalize_id_number, normalize_real_name

from .models import Qualification


def qualification_match(*, name: str, id_number: str) -> QuerySet[Qualification]:
    """The roster records of this person: exact name, ID normalised for width, case and spaces.

    The name is only cleaned as the sign-up form cleans it (spaces removed, every kind
    of middle dot written ·); never fuzzy: a one-character difference is a different person.
    """
    return Qualification.objects.filter(
        name=normalize_real_name(name or ""), id_number=normalize_id_number(id_number)
    ).order_by("-obtained_on", "certificate_code")
