"""What the three portals' views share: service errors on forms, and the decision on a review page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views import View

from docregistry.registrations import selectors, services


def add_errors(form, exc: ValidationError) -> None:
    """Show a service's errors next to the fields they concern; the rest above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class DecisionView(View):
    """POST only: one decision on the application named in the URL, then back to its review page.

    A subclass names its form, the review page (``detail_view`` and its URL name) and
    ``decide``, which calls the service and returns the success message. Errors go
    next to the form's fields on the review page (status 400); a move someone else
    made first is a message on the review page.
    """

    form_class = None
    form_name = ""
    detail_view = None
    detail_url = ""
    http_method_names = ["post"]

    def decide(self, application, data: dict) -> str:
        raise NotImplementedError

    def make_form(self, application, data):
        """The posted form; a subclass whose form depends on the application (its type's checklist) says so here."""
        return self.form_class(data)

    def post(self, request, pk):
        application = selectors.application_get(user=request.user, pk=pk)
        form = self.make_form(application, request.POST)
        if form.is_valid():
            try:
                message = self.decide(application, form.cleaned_data)
            except services.TransitionError as exc:
                messages.error(request, exc.message)
                return redirect(self.detail_url, pk=pk)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect(self.detail_url, pk=pk)
        view = self.detail_view()
        view.setup(request, pk=pk)
        return view.render_to_response(view.get_context_data(**{self.form_name: form}), status=400)
