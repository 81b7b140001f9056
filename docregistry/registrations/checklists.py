"""The paper materials each type of application needs (SPEC sections 5 and 9, seed Q7), as data.

``checklist_for`` is the one function everybody reads: the authority's approval gate and
form, the physician's application page, the receipt. The rows (``ChecklistItem``) are
seeded by a migration and edited by the operator in the admin.
"""

from .paper_models import ChecklistItem


def _type_of(kind_or_type) -> str:
    """An ``Application``, an ``ApplicationType`` (``types.APPLICATION_TYPES``) or a type code."""
    return str(getattr(kind_or_type, "type", kind_or_type))


def checklist_for(kind_or_type) -> list[ChecklistItem]:
    """The active checklist items of a type, in their order (``item.code``, ``item.label``)."""
    return list(ChecklistItem.objects.filter(type=_type_of(kind_or_type), is_active=True).order_by("position", "pk"))


def checklist_choices(kind_or_type) -> list[tuple[str, str]]:
    """(code, label) pairs for a form's checkboxes."""
    return [(item.code, item.label) for item in checklist_for(kind_or_type)]


def checklist_codes(kind_or_type) -> list[str]:
    return [item.code for item in checklist_for(kind_or_type)]


def checklist_missing(kind_or_type, ticked) -> tuple[list[str], list[ChecklistItem]]:
    """The ticked codes that belong to the type's list (in its order), and the items not ticked."""
    items = checklist_for(kind_or_type)
    ticked = set(ticked)
    return [i.code for i in items if i.code in ticked], [i for i in items if i.code not in ticked]


# ---- The seed (migration 0013; the operator edits the rows afterwards) ----------------------

_COMMON = {
    "review_form": ("《医师执业注册申请审核表》一式2份", "Review form (医师执业注册申请审核表), two copies"),
    "id_card": ("申请人身份证原件和复印件", "The applicant's ID card, original and copy"),
    "photos": ("近6个月2寸白底免冠正面半身照片3张", "Three recent 2-inch photos on a white background"),
    "contract": (
        "拟执业机构劳动合同或聘用证明原件及复印件",
        "Labour contract or proof of employment with the institution, original and copy",
    ),
    "institution_license": ("医疗机构执业许可证副本复印件", "Copy of the institution's practice license"),
    "certificate": ("《医师执业证书》原件", "The practice certificate, original"),
    "local": ("市、县（区）级卫生健康行政部门规定的其他材料", "Other materials the local authority requires"),
}
_OWN = {
    "filing_agreement": (
        "拟备案执业机构的聘用或合作协议原件及复印件",
        "Agreement with the further institution, original and copy",
    ),
    "filing_license": (
        "拟备案执业机构的医疗机构执业许可证副本复印件",
        "Copy of the further institution's practice license",
    ),
    "qualification": (
        "《医师资格证书》（执业医师）原件及复印件",
        "The licensed physician qualification certificate, original and copy",
    ),
    "assistant_certificate": (
        "交回原《医师执业证书》（执业助理医师）",
        "Hand back the assistant physician's practice certificate",
    ),
    "certificate_return": ("交回《医师执业证书》原件", "Hand back the practice certificate, original"),
    "ground_proof": (
        "注销事由的证明材料（如离职、退休证明）",
        "Proof of the reason for cancelling (e.g. leaving or retirement)",
    ),
    "assessment_proof": (
        "省级以上卫生健康行政部门指定机构出具的培训考核合格证明",
        "Proof of the training and the passed assessment from a designated institution",
    ),
}
SEED = {
    "first": ("review_form", "id_card", "photos", "contract", "institution_license", "local"),
    "change": ("review_form", "id_card", "certificate", "contract", "institution_license", "local"),
    "multi_site": ("review_form", "id_card", "certificate", "filing_agreement", "filing_license", "local"),
    # 增加注册: an institution in another practice area, registered with that area's authority.
    "additional": (
        "review_form",
        "id_card",
        "photos",
        "certificate",
        "contract",
        "institution_license",
        "local",
    ),
    "upgrade": (
        "review_form",
        "id_card",
        "photos",
        "qualification",
        "assistant_certificate",
        "contract",
        "institution_license",
        "local",
    ),
    "cancel": ("review_form", "id_card", "certificate_return", "ground_proof", "local"),
    "reregister": ("review_form", "id_card", "photos", "assessment_proof", "contract", "institution_license", "local"),
}


def load_checklists(model=ChecklistItem) -> int:
    """Write the seed rows that are not there yet (a type and code already present is left as edited)."""
    labels = {**_COMMON, **_OWN}
    existing = set(model.objects.values_list("type", "code"))
    rows = [
        model(type=type_, code=code, label_zh=labels[code][0], label_en=labels[code][1], position=(n + 1) * 10)
        for type_, codes in SEED.items()
        for n, code in enumerate(codes)
        if (type_, code) not in existing
    ]
    model.objects.bulk_create(rows)
    return len(rows)
