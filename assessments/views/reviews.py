"""The managers' assessment pages: the period's list of partners with their assessment status,
and one partner's assessment (ratings, workflow, history) beside its scorecard. Partner users
get a 404 here: they read shared assessments in the portal."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from assessments.models import Assessment
from assessments.panels import panels_render
from assessments.review_selectors import (
    STATUS_FILTERS,
    assessment_list,
    assessment_page,
    period_choose,
)
from assessments.reviews import (
    ACTIONS,
    TRANSITIONS,
    assessment_create,
    assessment_save,
)
from partners.access import is_manager, partner_for_user, visible_partners


def _require_manager(user) -> None:
    if not is_manager(user):
        raise Http404("Assessments are for channel managers and admins.")


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() else 1


@login_required
def assessments(request: HttpRequest) -> HttpResponse:
    _require_manager(request.user)
    period, periods = period_choose(request.GET.get("period"))
    if period is None:
        if periods:
            raise Http404("No such period.")
        return render(request, "assessments/reviews_list.html", {"listing": None})
    listing = assessment_list(
        partners=visible_partners(request.user),
        period=period,
        periods=periods,
        status=request.GET.get("status", ""),
        page=_page_number(request),
    )
    keep = QueryDict(mutable=True)
    keep["period"] = period.code
    if listing.status:
        keep["status"] = listing.status
    return render(
        request,
        "assessments/reviews_list.html",
        {
            "listing": listing,
            "period": period,
            "periods": periods,
            "filters": [
                (value, label, listing.counts.get(value, 0)) for value, label in STATUS_FILTERS
            ],
            "query": keep.urlencode(),
        },
    )


def _ratings_from(post: QueryDict, prefix: str) -> dict[int, str]:
    """{kpi id: text} of the form's fields `<prefix>-<kpi id>`."""
    out: dict[int, str] = {}
    for name in post:
        head, _, kpi_id = name.partition("-")
        if head == prefix and kpi_id.isdigit():
            out[int(kpi_id)] = post.get(name, "")
    return out


def _save_from(request: HttpRequest, assessment: Assessment) -> None:
    # the service refuses anything but 1-5 by name: pass on what is not a number as it came
    ratings: dict[int, Any] = {
        k: (None if v == "" else int(v) if v.isdigit() else v)
        for k, v in _ratings_from(request.POST, "rating").items()
    }
    assessment_save(
        assessment=assessment,
        by=request.user,
        ratings=ratings,
        comments=_ratings_from(request.POST, "comment"),
        summary=request.POST.get("summary"),
    )


DONE = {
    "create": "Draft started.",
    "save": "Draft saved.",
    "submit": "Submitted: the ratings now count; the scorecard is being recomputed.",
    "share": "Shared with the partner: its portal users can read it now.",
    "reopen": "Reopened as a draft: its ratings no longer count until it is submitted again.",
}


def _act(request: HttpRequest, partner, period, page) -> None:
    action = request.POST.get("action", "")
    assessment = page.assessment
    if action == "create":
        assessment_create(partner=partner, period=period, by=request.user)
    elif assessment is None or action not in DONE:
        raise ValidationError("Nothing to do: unknown action, or no assessment yet.")
    elif action == "save" or (action == "submit" and page.editable):
        _save_from(request, assessment)  # the form's ratings first: Submit saves them too
        if action == "submit":
            ACTIONS["submit"](
                assessment=assessment, by=request.user, note=request.POST.get("note", "")
            )
    else:
        ACTIONS[action](assessment=assessment, by=request.user, note=request.POST.get("note", ""))
    messages.success(request, DONE[action])


@login_required
def assessment(request: HttpRequest, code: str) -> HttpResponse:
    _require_manager(request.user)
    partner = partner_for_user(request.user, code)  # 404 for a partner the user may not see
    period, periods = period_choose(request.GET.get("period"))
    if period is None:
        raise Http404("No such period.")
    page = assessment_page(partner=partner, period=period, periods=periods, user=request.user)
    if request.method == "POST":
        try:
            _act(request, partner, period, page)
        except ValidationError as refusal:
            for message in refusal.messages:
                messages.error(request, message)
        url = reverse("assessment", args=[partner.code])
        return redirect(f"{url}?period={period.code}")
    return render(
        request,
        "assessments/assessment.html",
        {
            "partner": partner,
            "period": period,
            "periods": periods,
            "page": page,
            "a": page.assessment,
            "card": page.scorecard.card if page.scorecard else None,
            "transitions": TRANSITIONS,
            # the review is one conversation: the plan, feedback and meetings of the period
            "panels": panels_render(partner=partner, period=period, user=request.user),
        },
    )
