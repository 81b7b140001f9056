"""The physician's receipt 《申请回执》: a page and its PDF, once the institution has confirmed."""

from django.http import Http404
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from docregistry.http import pdf_response
from docregistry.registrations import receipt, selectors
from docregistry.registrations.presentation import authority_deadline

from .application_views import ApplicationMixin


class ReceiptMixin(ApplicationMixin):
    """Another physician's application is a 404; so is one that has no receipt (not awaiting the authority)."""

    def receipt_application(self):
        application = self.get_application()
        if not receipt.receipt_available(application):
            raise Http404
        return application, selectors.deciding_authority(application.institution)


class ReceiptView(ReceiptMixin, TemplateView):
    template_name = "physicians/receipt.html"

    def get_context_data(self, **kwargs):
        application, authority = self.receipt_application()
        return super().get_context_data(
            application=application,
            authority=authority,
            materials=receipt.materials_for(application),
            deadline=authority_deadline(application, authority.name if authority else _("the health authority")),
            **kwargs,
        )


class ReceiptPdfView(ReceiptMixin, View):
    def get(self, request, pk):
        application, authority = self.receipt_application()
        return pdf_response(receipt.receipt_pdf(application, authority), receipt.receipt_filename(application))
