"""The portal's Surveys tab: a partner user's own survey requests, open ones answered here. A
manager previewing a partner's portal (?partner=CODE) sees that partner's requests, read-only."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from assessments.views.portal import portal_context, portal_partner
from feedback.models import ResponseChannel, SurveyRequest
from feedback.survey_forms import AnswerForm
from feedback.survey_services import request_answer_day, survey_response_record
from partners.access import portal_partner_id


@login_required
def requests_list(request: HttpRequest) -> HttpResponse:
    partner = portal_partner(request)
    context = portal_context(request, partner)
    asked = SurveyRequest.objects.filter(partner=partner).select_related("survey", "period")
    if not context["preview"]:
        asked = asked.filter(user=cast(User, request.user))
    else:
        asked = asked.select_related("user")
    asked = asked.order_by("answered_at", "-period__end", "survey__name")[:100]
    context["open"] = [r for r in asked if r.answered_at is None]
    context["done"] = [r for r in asked if r.answered_at is not None]
    return render(request, "portal/surveys.html", context)


@login_required
def request_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Only the user asked answers: anyone else (a colleague, a manager) gets a 404."""
    partner_id = portal_partner_id(request.user)
    if partner_id is None:
        raise Http404("No such survey request.")
    asked = (
        SurveyRequest.objects.select_related("survey", "period", "partner")
        .filter(pk=pk, user=cast(User, request.user), partner_id=partner_id)
        .first()
    )
    if asked is None:
        raise Http404("No such survey request.")
    if asked.answered_at is not None or not asked.survey.is_active:
        messages.info(request, "This survey is already answered (or closed).")
        return redirect("portal-surveys")
    form = AnswerForm(request.POST or None, survey=asked.survey)
    if request.method == "POST" and form.is_valid():
        try:
            survey_response_record(
                survey=asked.survey,
                partner=asked.partner,
                answered_on=request_answer_day(asked),
                answers=form.answers(),
                channel=ResponseChannel.PORTAL,
                survey_request=asked,
                respondent=cast(User, request.user),  # login_required
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Thank you: your answers to “{asked.survey.name}” are in.")
            return redirect("portal-surveys")
    context = portal_context(request, asked.partner) | {"asked": asked, "form": form}
    return render(request, "portal/survey_answer.html", context, status=400 if form.errors else 200)
