"""Matching physicians to the national qualification roster."""

from django.db.models import QuerySet

from docregistry.validators import normalize_id_number

from .models import Qualification


def qualification_match(*, name: str, id_number: str) -> QuerySet[Qualification]:
    """The roster records of this person: exact name, ID normalised for width, case and spaces.

    Never fuzzy on the name: a one-character difference is a different person.
    """
    return Qualification.objects.filter(name=(name or "").strip(), id_number=normalize_id_number(id_number))
