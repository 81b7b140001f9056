import re

from django.contrib import admin, messages
from django.db.models import Max, Min
from django.utils.translation import gettext_lazy as _

from .calendar import deadlines_recompute_after_edit
from .checks import MSG_CALENDAR_YEAR_MISSING
from .models import (
    Application,
    Authority,
    Institution,
    Notification,
    PracticeScope,
    Region,
    Registration,
    RegistrationWindow,
)
from .pagination import CappedCountPaginator
from .paper_models import CalendarDay, ChecklistItem
from .register_models import Ground, InstitutionReport, RegistrationChange
from .sealing import SENT_SEALED, is_sealed
from .selectors import normalize_application_number

# A number as typed (digits, dashes, spaces, full-width digits): searched by its unique index alone.
APPLICATION_NUMBER = re.compile(r"^[\d\s\-－０-９]{8,}$")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "registration_number", "region", "is_active"]
    list_per_page = 50
    search_fields = ["name", "registration_number"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]


@admin.register(PracticeScope)
class PracticeScopeAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "position", "is_active"]
    list_filter = ["category", "is_active"]
    list_editable = ["position", "is_active"]


@admin.register(RegistrationWindow)
class RegistrationWindowAdmin(admin.ModelAdmin):
    list_display = ["authority", "starts_on", "ends_on"]
    list_select_related = ["authority"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """To look up, never to edit: these rows move only through the portals' services, with their audit rows."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    """Read-only: applications move only through the portals' services."""

    list_display = ["number", "name", "type", "state", "institution", "submitted_at"]
    list_filter = ["state", "type"]
    # The exact number uses its unique index (the admin's "=" would compare upper-cased values,
    # which no index answers); a name prefix is an operator's occasional scan.
    search_fields = ["number__exact", "name__startswith"]
    list_select_related = ["institution"]
    ordering = ["-id"]  # the primary key: no sort of the whole table (there is no index on created_at)
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    search_help_text = _("An application number, or the beginning of a name.")

    def get_search_results(self, request, queryset, search_term):
        # One condition, not number OR name: ORed with the name prefix, the number's index could
        # not answer alone and the database scanned the table.
        term = search_term.strip()
        if not term:
            return queryset, False
        if APPLICATION_NUMBER.match(term):
            return queryset.filter(number=normalize_application_number(term)), False
        return queryset.filter(name__startswith=term), False


class RegistrationChangeInline(admin.TabularInline):
    model = RegistrationChange
    fields = ["created_at", "actor", "actor_role", "from_state", "to_state", "ground", "suspended_until", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    """The register: each registration with every change of its state (who, when, on which ground)."""

    list_display = ["certificate_code", "physician", "level", "category", "institution", "authority", "state"]
    list_filter = ["state", "level", "category"]
    search_fields = ["certificate_code__exact"]
    search_help_text = _("A practice certificate code.")
    list_select_related = ["physician", "institution", "authority"]
    ordering = ["-id"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    inlines = [RegistrationChangeInline]


@admin.register(InstitutionReport)
class InstitutionReportAdmin(ReadOnlyAdmin):
    """Departures and reported grounds for cancellation, and what the authority made of them."""

    list_display = ["reported_at", "institution", "registration", "kind", "reason", "occurred_on", "outcome"]
    list_filter = ["kind", "outcome"]
    list_select_related = ["institution", "registration"]
    ordering = ["-id"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, newest first: it grows by every SMS and e-mail, so it is counted up to the cap only."""

    list_display = ["created_at", "channel", "recipient", "state", "attempts", "text"]
    list_filter = ["state", "channel"]
    exclude = ["body"]
    readonly_fields = ["text"]
    ordering = ["-id"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50

    @admin.display(description=_("message"))
    def text(self, obj):
        """A sealed text (code, one-time password) shows as such, never as its ciphertext or secret."""
        if is_sealed(obj.body):
            return _("(sealed: a code or one-time password, shown to nobody)")
        if obj.body == SENT_SEALED:
            return _("(sent: a code or one-time password, not kept)")
        return obj.body[:200]


@admin.register(Ground)
class GroundAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "text", "legal_basis", "position", "is_active"]
    list_filter = ["kind", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["code", "text"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The holiday calendar the decision clock counts by; warns when this year or the next is not loaded."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind", ("date", admin.DateFieldListFilter)]
    date_hierarchy = "date"
    search_fields = ["name"]

    def changelist_view(self, request, extra_context=None):
        from .calendar import years_missing

        if missing := years_missing():
            messages.warning(request, MSG_CALENDAR_YEAR_MISSING % {"years": "、".join(str(y) for y in missing)})
        return super().changelist_view(request, extra_context)

    # An edit moves the running deadlines it concerns; they are recomputed in the background once it commits.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        deadlines_recompute_after_edit([obj.date, form.initial.get("date") if change else None])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        deadlines_recompute_after_edit([obj.date])

    def delete_queryset(self, request, queryset):
        span = queryset.aggregate(first=Min("date"), last=Max("date"))
        super().delete_queryset(request, queryset)
        deadlines_recompute_after_edit(span.values())


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    """The paper materials of each type; the authority ticks the active ones before approving."""

    list_display = ["type", "position", "code", "label_zh", "label_en", "is_active"]
    list_filter = ["type", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["code", "label_zh", "label_en"]
