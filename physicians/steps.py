"""The application form's step indicator and its error summary: what is done, and every error with a link."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from docregistry.registrations.models import Application, Document

# 基本信息 → 工作经历 → 执业机构 → 材料 → 提交: the anchor of each step's section, and its name.
STEPS = (
    ("step-basic", gettext_lazy("Basic information")),
    ("step-history", gettext_lazy("Work history")),
    ("step-institution", pgettext_lazy("form step", "Institution")),
    ("step-documents", gettext_lazy("Materials")),
    ("step-submit", gettext_lazy("Submit")),
)


@dataclass(frozen=True)
class Step:
    anchor: str
    name: str
    status: str  # "done", "todo", "error" or "none" (this kind of application has no such step)

    @property
    def status_text(self) -> str:
        return {
            "done": _("done"),
            "todo": _("to do"),
            "error": _("has errors"),
            "none": _("not needed"),
        }[self.status]


def form_steps(
    application: Application,
    *,
    documents: list[Document],
    has_periods: bool,
    two_year_rule: bool,
    errors: dict[str, list],
) -> list[Step]:
    """Each step's state for the indicator; ``errors`` maps a step's anchor to its error messages."""
    kind = application.kind
    basic_fields = [f for f in kind.required_to_submit if f != "institution"]
    has_proof = any(d.kind == Document.Kind.TRAINING_PROOF for d in documents)
    done = {
        "step-basic": all(getattr(application, f) for f in basic_fields),
        "step-history": has_periods if kind.work_history else None,
        "step-institution": application.institution_id is not None if "institution" in kind.editable else None,
        "step-documents": has_proof or not two_year_rule,
        "step-submit": application.state not in (Application.State.DRAFT, Application.State.RETURNED),
    }
    steps = []
    for anchor, name in STEPS:
        if errors.get(anchor):
            status = "error"
        elif done[anchor] is None:
            status = "none"
        else:
            status = "done" if done[anchor] else "todo"
        steps.append(Step(anchor=anchor, name=str(name), status=status))
    return steps


@dataclass(frozen=True)
class ErrorLink:
    target: str  # the id of the field (or section) to go to
    label: str
    message: str

    @property
    def text(self) -> str:
        if not self.label:
            return self.message
        return _("%(field)s: %(message)s") % {"field": self.label, "message": self.message}


def _field_links(form, target_for=None) -> list[ErrorLink]:
    links = []
    for name, messages in form.errors.items():
        if name == "__all__":
            continue
        field = form[name]
        target = (target_for or {}).get(name) or field.id_for_label or field.auto_id
        links += [ErrorLink(target=target, label=str(field.label), message=str(m)) for m in messages]
    return links


def error_summary(
    *, form, formset, period_errors, document_form, document_errors=()
) -> tuple[list[ErrorLink], dict[str, list]]:
    """Every error on the page, each linking to its field, and the errors per step (for the indicator)."""
    per_step: dict[str, list] = {anchor: [] for anchor, _name in STEPS}
    general = [ErrorLink(target="application-form", label="", message=str(m)) for m in form.non_field_errors()]
    institution = [
        link for link in _field_links(form, {"institution": "step-institution"}) if link.target == "step-institution"
    ]
    basic = [
        link for link in _field_links(form, {"institution": "step-institution"}) if link.target != "step-institution"
    ]
    history = [ErrorLink(target="periods", label=_("Work history"), message=str(m)) for m in period_errors]
    if formset is not None:
        history += [
            ErrorLink(target="periods", label=_("Work history"), message=str(m)) for m in formset.non_form_errors()
        ]
        for row in formset.forms:
            history += _field_links(row)
    materials = _field_links(document_form) + [
        ErrorLink(target=document_form["file"].id_for_label, label=_("Materials"), message=str(m))
        for m in [*document_form.non_field_errors(), *document_errors]
    ]
    per_step.update({"step-basic": basic + general, "step-history": history, "step-institution": institution})
    per_step["step-documents"] = materials
    return general + basic + history + institution + materials, per_step
