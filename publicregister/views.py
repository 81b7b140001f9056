"""The public side: no login. The verification page behind every printed code, the register lookup."""

from django.views.generic import TemplateView

from docregistry.verification import selectors as verification


class VerifyView(TemplateView):
    """``/v/<token>/``: what the scanned document says and what the record says now; 404 for a bad token."""

    template_name = "publicregister/verify.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["v"] = verification.verify(kwargs["token"])
        return context
