from django.views.generic import TemplateView

from docregistry.accounts.models import Role
from docregistry.accounts.portals import PortalMixin


class IndexView(PortalMixin, TemplateView):
    role = Role.PHYSICIAN
    template_name = "physicians/index.html"
