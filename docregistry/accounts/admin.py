from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "real_name", "role", "institution", "authority", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "real_name", "id_number", "mobile"]
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
