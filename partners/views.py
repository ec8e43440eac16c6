from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from partners.access import Role, role
from partners.history import audited_model, object_history


@login_required
def history(request: HttpRequest, app_label: str, model_name: str, pk: str) -> HttpResponse:
    """One object's audit trail: each change with who, when, and every field before -> after.
    Admins only; anyone else gets a 404 (as for a partner they may not see)."""
    if role(request.user) != Role.ADMIN:
        raise Http404("The audit trail is for admins.")
    model = audited_model(app_label, model_name)
    trail = object_history(model=model, pk=pk)
    try:
        admin_url = reverse(f"admin:{app_label}_{model._meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        admin_url = ""
    return render(request, "history/object.html", {"trail": trail, "admin_url": admin_url})
