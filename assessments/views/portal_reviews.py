"""The portal's Assessments tab: the partner's shared and acknowledged assessments, and the
acknowledge form. A manager's preview (?partner=CODE) reads the same page, without the form
(the service refuses anyone but the partner's own users anyway)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from assessments.review_selectors import portal_assessments
from assessments.reviews import assessment_acknowledge, partner_visible_assessments
from assessments.views.portal import portal_context, portal_partner


@login_required
def assessments(request: HttpRequest) -> HttpResponse:
    partner = portal_partner(request)
    context = portal_context(request, partner)
    if request.method == "POST":
        if context["preview"]:
            raise Http404("A preview is read-only.")
        _acknowledge(request, partner)
        return redirect(reverse("portal-assessments"))
    context["shared"] = portal_assessments(partner_id=partner.pk)
    return render(request, "portal/assessments.html", context)


def _acknowledge(request: HttpRequest, partner) -> None:
    raw = request.POST.get("assessment", "")
    assessment = (
        partner_visible_assessments(partner.pk)
        .select_related("partner", "period")
        .filter(pk=int(raw) if raw.isdigit() else 0)
        .first()
    )
    if assessment is None:
        raise Http404("No such assessment.")
    try:
        assessment_acknowledge(
            assessment=assessment, by=request.user, response=request.POST.get("response", "")
        )
    except ValidationError as refusal:
        for message in refusal.messages:
            messages.error(request, message)
        return
    messages.success(
        request, f"Thank you: the {assessment.period.code} assessment is acknowledged."
    )
