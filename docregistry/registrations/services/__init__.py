"""Every write to the shared domain, and every move of an application, by concern.

- ``transitions``: the one guarded, atomic, audited move (``workflow.TRANSITIONS`` says which exist)
- ``drafts``: starting, editing, the rules checked at submit, submitting, withdrawing
- ``documents``: uploads
- ``decisions``: the institution's and the authority's decisions and their effect on the register
- ``windows``: registration windows
- ``institutions``: institution accounts created and looked after by the authority
- ``offices``: the authority's office details physicians are shown

Callers use this package (``services.application_submit(...)``); the modules are how it is kept.
"""

from ..workflow import EDITABLE_STATES, TRANSITIONS, Transition, available_transitions, may_act
from .decisions import (
    MSG_ACCEPTED_TEXT,
    MSG_ALREADY_ACCEPTED,
    MSG_CHECKLIST_INCOMPLETE,
    MSG_GROUND_REQUIRED,
    MSG_REGISTRATION_REQUIRED,
    MSG_SERIALS_EXHAUSTED,
    application_accept_by_authority,
    application_approve_by_authority,
    application_approve_by_institution,
    application_refuse,
    application_return_by_authority,
    application_return_by_institution,
    practice_certificate_code_issue,
    registration_apply,
)
from .documents import (
    DOCUMENT_MAX_BYTES,
    MSG_DOCUMENT_KIND,
    MSG_FILE_EMPTY,
    MSG_FILE_TOO_BIG,
    MSG_FILE_TYPE,
    document_add,
    document_delete,
)
from .drafts import (
    MSG_CHANGE_LEVEL,
    MSG_FIRST_ALREADY_REGISTERED,
    MSG_INSTITUTION_INACTIVE,
    MSG_INSTITUTION_REQUIRED,
    MSG_NOT_EDITABLE,
    MSG_ONE_OPEN_APPLICATION,
    MSG_QUALIFICATION_NOT_MATCHED,
    MSG_REGISTRATION_IN_FORCE_REQUIRED,
    MSG_REQUIRED_TO_SUBMIT,
    MSG_REREGISTER_NOT_CANCELLED,
    MSG_SCOPE_LOCKED,
    MSG_SCOPE_NOT_ALLOWED,
    MSG_SITE_DATES,
    MSG_SITE_SAME_INSTITUTION,
    MSG_TEACHING_TITLE,
    MSG_TRAINING_LINE_REQUIRED,
    MSG_TRAINING_PROOF_REQUIRED,
    MSG_TYPE_UNKNOWN,
    MSG_UPGRADE_NEEDS_ASSISTANT,
    MSG_WORK_PERIOD_EMPLOYER,
    MSG_WORK_PERIOD_FUTURE,
    MSG_WORK_PERIOD_ORDER,
    MSG_WORK_PERIOD_OVERLAP,
    MSG_WORK_PERIOD_START,
    application_check_rules,
    application_create,
    application_editable_get,
    application_ensure_none_open,
    application_number_issue,
    application_qualified_on,
    application_submit,
    application_update,
    application_withdraw,
    qualified_over_two_years_before,
    two_year_rule_applies,
    two_year_rule_reason,
    work_periods_clean,
)
from .institutions import (
    MSG_DOCUMENTS_UNCHECKED,
    MSG_NO_STAFF,
    MSG_NOT_CLERK,
    MSG_REGION_OUTSIDE,
    institution_create_with_account,
    institution_deactivate,
    institution_reactivate,
    institution_staff_password_reset,
    one_time_password,
)
from .offices import MSG_PHONE, authority_office_update
from .transitions import (
    MSG_ALREADY_HANDLED,
    MSG_NOT_ALLOWED,
    MSG_REASON_REQUIRED,
    AlreadyHandled,
    NotAllowed,
    TransitionError,
    application_transition,
    next_value,
)
from .windows import (
    MSG_WINDOW_CLOSED,
    MSG_WINDOW_CLOSED_NO_NEXT,
    MSG_WINDOW_ORDER,
    MSG_WINDOW_OVERLAP,
    application_check_window,
    registration_window_create,
    registration_window_delete,
)
