"""The application types are declared once; everything that depends on a type reads that table."""

import pytest

from docregistry.registrations.models import Application
from docregistry.registrations.services.decisions import REGISTER_EFFECTS
from docregistry.registrations.types import APPLICATION_TYPES
from physicians.forms import application_form_class

MODEL_FIELDS = {field.name for field in Application._meta.get_fields()}


def test_every_type_of_the_model_is_declared_once_with_its_effect_on_the_register():
    assert set(APPLICATION_TYPES) == set(Application.Type.values)
    assert set(REGISTER_EFFECTS) == set(Application.Type.values)


@pytest.mark.parametrize("kind", APPLICATION_TYPES.values(), ids=lambda kind: kind.type)
def test_a_type_names_only_fields_of_the_application_and_prints_a_title(kind):
    assert set(kind.editable) <= MODEL_FIELDS
    assert set(kind.required_to_submit) <= set(kind.editable)
    assert kind.title_zh


@pytest.mark.parametrize("kind", APPLICATION_TYPES.values(), ids=lambda kind: kind.type)
def test_the_physician_form_of_a_type_has_exactly_its_editable_fields(kind):
    # The training and assessment line shows when the two-year rule applies (or it was filled in).
    form = application_form_class(kind)(scopes=["内科专业"], two_year_rule=True)
    assert list(form.fields) == list(kind.editable)
    without = application_form_class(kind)(scopes=["内科专业"])
    assert list(without.fields) == [f for f in kind.editable if f != "training_assessment"]
    if "scope" in form.fields:
        assert ("内科专业", "内科专业") in form.fields["scope"].choices
