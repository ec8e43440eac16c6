"""The user's own alerts: the list (unread first, filter by kind, paginated), opening one
(marks it read, then goes where it points), mark all read, and the e-mail setting."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback.alert_inbox import (
    alert_mark_read,
    alerts_mark_all_read,
    alerts_of_user,
    notification_settings_get,
    notification_settings_set,
)
from feedback.context_processors import unread_count
from feedback.models import AlertKind

PER_PAGE = 25
# The filter's chips: short plural names of the kinds, so that they fit one line.
KIND_CHIPS = [
    (AlertKind.TIER_DROP, "Tier drops"),
    (AlertKind.AT_RISK, "At risk"),
    (AlertKind.PROJECTED_DROP, "Projected drops"),
    (AlertKind.RED_KPI, "Red KPIs"),
    (AlertKind.DATA_QUALITY, "Data quality"),
    (AlertKind.ASSESSMENT_DUE, "Assessments due"),
    (AlertKind.SURVEY_DUE, "Surveys due"),
    (AlertKind.ACTION_OVERDUE, "Overdue actions"),
]


@login_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in AlertKind.values else ""
    page = Paginator(alerts_of_user(user=request.user, kind=kind), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "feedback/alerts/list.html",
        {
            "page": page,
            "kind": kind,
            "kinds": KIND_CHIPS,
            "query": urlencode({"kind": kind}) if kind else "",
            "unread": unread_count(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def alert_open(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: mark read and go to what the alert is about; POST: mark read, back to the list."""
    alert = alert_mark_read(user=request.user, alert_id=pk)
    safe = url_has_allowed_host_and_scheme(alert.url, allowed_hosts={request.get_host()})
    if request.method == "GET" and alert.url and safe:
        return redirect(alert.url)
    return redirect(_back(request))


@login_required
@require_POST
def alert_read_all(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    done = alerts_mark_all_read(user=request.user, kind=kind)
    messages.success(request, f"Marked {done} alert{'s' if done != 1 else ''} read.")
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    kind = request.POST.get("kind") or request.GET.get("kind") or ""
    url = reverse("alerts")
    return f"{url}?{urlencode({'kind': kind})}" if kind in AlertKind.values else url


@login_required
@require_http_methods(["GET", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        chosen = request.POST.get("email_alerts") == "on"
        notification_settings_set(user=request.user, email_alerts=chosen)
        messages.success(
            request,
            "E-mail digest on: new alerts reach you by e-mail too."
            if chosen
            else "E-mail digest off: your alerts stay here, on this site.",
        )
        return redirect("alert-settings")
    return render(
        request,
        "feedback/alerts/settings.html",
        {"settings": notification_settings_get(user=request.user)},
    )
