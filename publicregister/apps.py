from django.apps import AppConfig


class PublicRegisterConfig(AppConfig):
    name = "publicregister"
