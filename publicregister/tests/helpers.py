"""Registrations made through the real pipeline, for the public pages' tests."""

from docregistry.registrations.models import Application, Registration


def registered(world) -> Registration:
    """The world's physician, approved: a first registration in force."""
    application = world.approved()
    return Registration.objects.get(certificate_code=application.practice_certificate_code)


def cancelled(world, registration: Registration) -> Registration:
    """The physician's own request to cancel, approved."""
    world.approved(
        type=Application.Type.CANCEL,
        registration=registration,
        cancellation_reason="本人申请注销",
    )
    registration.refresh_from_db()
    return registration
