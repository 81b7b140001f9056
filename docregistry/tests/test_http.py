from django.test import RequestFactory

from docregistry.http import client_ip


def test_the_audit_address_is_the_socket_peer_by_default(settings):
    settings.USE_X_FORWARDED_FOR = False
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.2"  # a client cannot forge its address


def test_behind_a_proxy_the_address_the_proxy_saw_is_used(settings):
    settings.USE_X_FORWARDED_FOR = True
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"
