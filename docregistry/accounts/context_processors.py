PORTALS = ("physicians", "institutions", "authority")


def portal(request):
    """``portal``: the URL namespace of the portal the page belongs to, for the shared templates."""
    match = getattr(request, "resolver_match", None)
    namespace = match.app_name if match else ""
    return {"portal": namespace if namespace in PORTALS else ""}
