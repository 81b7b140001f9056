"""What each kind of application is, declared once.

Services (what may be created, edited, submitted and what approval does), the
physician's forms and pages, and the review form all read ``APPLICATION_TYPES``.
Adding a type is one entry here plus its effect on the register
(``services.decisions.REGISTER_EFFECTS``).
"""

from dataclasses import dataclass
from enum import StrEnum

from .choices import AppType as Type

# The fields of the review form's first two pages that the physician fills in.
REVIEW_FORM_FIELDS = ("institution", "education", "title", "teaching_title", "health_status")
# Page 2's 业务水平考核机构或组织的名称和培训时间及考核结果: filled in (and required) when the two-year rule applies.
TRAINING_LINE = "training_assessment"


class Needs(StrEnum):
    """What the physician's register must hold before an application of a type can be started."""

    NOTHING_EVER = "nothing_ever"  # no registration at all, ever (a first registration)
    IN_FORCE = "in_force"  # a registration in force, which the application concerns
    CANCELLED = "cancelled"  # none in force, and one that was cancelled (re-registration)


class LevelRule(StrEnum):
    """How the qualification's level relates to the registration in force."""

    ANY = "any"
    SAME = "same"  # a change keeps the level
    UPGRADE = "upgrade"  # an assistant registration and a licensed physician qualification
    PHYSICIAN = "physician"  # a licensed physician registration and qualification (增加注册)


@dataclass(frozen=True)
class ApplicationType:
    type: str
    # The fields the physician edits; everything else comes from the qualification or the registration.
    editable: tuple[str, ...]
    # A draft may be saved half-filled; these must be there to submit.
    required_to_submit: tuple[str, ...]
    needs: Needs | None = None
    level: LevelRule = LevelRule.ANY
    work_history: bool = False
    # Approval issues a new practice certificate code (otherwise the registration keeps its own).
    issues_code: bool = False
    # The institution that confirms it, and the practice scope of the category, are required.
    needs_institution: bool = True
    # The practice scope is the registration's and cannot be edited here.
    scope_locked: bool = False
    # The institution named is a further practice site, not the main institution.
    files_site: bool = False
    # The institution named lies in another practice area: a further registration there (增加注册).
    other_area: bool = False
    # The two-year rule counts from the qualification date (SPEC section 3).
    two_year_from_qualification: bool = False
    # The printed form's subtitle (the form is always Chinese).
    title_zh: str = ""
    # The authority's opinion printed when it approves without writing one of its own.
    opinion_zh: str = "同意注册"

    @property
    def needs_registration(self) -> bool:
        return self.needs == Needs.IN_FORCE

    @property
    def label(self) -> str:
        return Type(self.type).label


APPLICATION_TYPES: dict[str, ApplicationType] = {
    t.type: t
    for t in (
        ApplicationType(
            Type.FIRST,
            editable=(*REVIEW_FORM_FIELDS, "scope", TRAINING_LINE),
            required_to_submit=("education", "health_status"),
            needs=Needs.NOTHING_EVER,
            work_history=True,
            issues_code=True,
            two_year_from_qualification=True,
            title_zh="首次注册",
        ),
        ApplicationType(
            Type.CHANGE,
            # 增加执业范围: the further scopes are edited here too (医师法 art. 14).
            editable=(*REVIEW_FORM_FIELDS, "scope", "extra_scopes"),
            required_to_submit=("education", "health_status"),
            needs=Needs.IN_FORCE,
            level=LevelRule.SAME,
            work_history=True,
            title_zh="变更注册",
            opinion_zh="同意变更注册",
        ),
        ApplicationType(
            Type.MULTI_SITE,
            editable=("institution", "scope", "site_starts_on", "site_ends_on"),
            required_to_submit=("site_starts_on", "site_ends_on"),
            needs=Needs.IN_FORCE,
            files_site=True,
            title_zh="多机构备案",
            opinion_zh="同意备案",
        ),
        ApplicationType(
            Type.UPGRADE,
            editable=(*REVIEW_FORM_FIELDS, TRAINING_LINE),
            required_to_submit=("education", "health_status"),
            needs=Needs.IN_FORCE,
            level=LevelRule.UPGRADE,
            work_history=True,
            issues_code=True,
            scope_locked=True,
            two_year_from_qualification=True,
            title_zh="执业助理医师升执业医师",
        ),
        ApplicationType(
            Type.CANCEL,
            editable=("cancellation_reason",),
            required_to_submit=("cancellation_reason",),
            needs=Needs.IN_FORCE,
            needs_institution=False,
            title_zh="注销注册",
            opinion_zh="同意注销注册",
        ),
        ApplicationType(
            Type.REREGISTER,
            # Practice suspended for two years or more is what brings a physician to re-register (two-year rule).
            editable=(*REVIEW_FORM_FIELDS, "scope", "practice_suspended", TRAINING_LINE),
            required_to_submit=("education", "health_status"),
            needs=Needs.CANCELLED,
            work_history=True,
            issues_code=True,
            title_zh="重新注册",
            opinion_zh="同意重新注册",
        ),
        ApplicationType(
            # 增加注册 (办法 art. 12): a 执业医师 registers at an institution in another practice area,
            # with that institution's authority; the registration in force is kept.
            Type.ADDITIONAL,
            editable=(*REVIEW_FORM_FIELDS, "scope"),
            required_to_submit=("education", "health_status"),
            needs=Needs.IN_FORCE,
            level=LevelRule.PHYSICIAN,
            work_history=True,
            issues_code=True,
            other_area=True,
            title_zh="增加注册",
            opinion_zh="同意增加注册",
        ),
    )
}


def application_type(value: str) -> ApplicationType:
    return APPLICATION_TYPES[value]
