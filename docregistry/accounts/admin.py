from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from docregistry.registrations.pagination import CappedCountPaginator

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "real_name", "role", "institution", "authority", "is_active"]
    list_filter = ["role", "is_active"]
    # Exact or prefix lookups: an operator looks an account up by what the caller tells them.
    search_fields = ["username__startswith", "id_number__exact", "mobile__exact", "real_name__startswith"]
    list_select_related = ["institution", "authority"]
    ordering = ["-id"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (
            _("Portal"),
            {"fields": ["role", "real_name", "id_number", "mobile", "mobile_verified_at", "institution", "authority"]},
        ),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("Portal"), {"fields": ["role", "real_name", "id_number", "mobile", "institution", "authority"]}),
    ]
