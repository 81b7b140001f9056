"""Admin: the roster records (read only) and roster imports (upload, progress, errors)."""

import csv

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from docregistry.registrations.pagination import CappedCountPaginator
from docregistry.security import neutralise_row

from .forms import RosterUploadForm
from .models import ImportBatch, Qualification
from .services import batch_errors, import_batch_create, import_progress

ERRORS_SHOWN = 500


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    """Records come only from roster imports: viewable and searchable, never edited by hand."""

    list_display = ("name", "id_number", "certificate_code", "level", "category", "obtained_on", "batch_id")
    list_filter = ("level", "category", "batch")
    # Exact lookups only: they use the indexes on a table of millions of rows.
    search_fields = ("=certificate_code", "=id_number", "=name")
    search_help_text = _("An exact certificate code, ID number or name.")
    ordering = ("-id",)
    show_full_result_count = False
    list_per_page = 50
    paginator = CappedCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = (
        "file_name",
        "state",
        "dry_run",
        "rows_total",
        "inserted",
        "updated",
        "unchanged",
        "error_count",
        "uploaded_by",
        "created_at",
    )
    list_filter = ("state", "dry_run")
    list_select_related = ("uploaded_by",)
    change_list_template = "admin/qualifications/importbatch/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="qualifications_importbatch_upload"),
            path("<int:pk>/progress/", view(self.progress_view), name="qualifications_importbatch_progress"),
            path("<int:pk>/errors.csv", view(self.errors_csv_view), name="qualifications_importbatch_errors"),
            *super().get_urls(),
        ]

    def has_change_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:qualifications_importbatch_upload")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit():
            return super().change_view(request, object_id, form_url, extra_context)
        return redirect("admin:qualifications_importbatch_progress", pk=object_id)

    def upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RosterUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                batch = import_batch_create(
                    uploaded_file=form.cleaned_data["file"],
                    uploaded_by=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                return redirect("admin:qualifications_importbatch_progress", pk=batch.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Upload a qualification roster"),
            "form": form,
        }
        return TemplateResponse(request, "admin/qualifications/importbatch/upload.html", context)

    def progress_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = import_progress(get_object_or_404(ImportBatch.objects.select_related("uploaded_by"), pk=pk))
        errors = batch_errors(batch)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Roster import: %(file)s") % {"file": batch.file_name},
            "batch": batch,
            "errors": errors[:ERRORS_SHOWN],
            "errors_hidden": batch.error_count - min(len(errors), ERRORS_SHOWN),
            "records_url": reverse("admin:qualifications_qualification_changelist") + f"?batch__id__exact={batch.pk}",
        }
        return TemplateResponse(request, "admin/qualifications/importbatch/progress.html", context)

    def errors_csv_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(ImportBatch, pk=pk)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="roster-import-{batch.pk}-errors.csv"'
        response.write("\ufeff")  # so that Excel opens the UTF-8 file with the right characters
        writer = csv.writer(response)
        writer.writerow([_("Row"), _("Column"), _("Value"), _("Problem")])
        for error in batch_errors(batch):
            writer.writerow(neutralise_row([error.row, error.column, error.value, error.message]))
        if batch.error_count > len(batch.errors):
            writer.writerow(
                ["", "", "", _("… and %(count)s more errors") % {"count": batch.error_count - len(batch.errors)}]
            )
        return response
