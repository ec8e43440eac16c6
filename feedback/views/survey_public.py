"""The customer survey's public page, /s/<token>/: no sign-in, a CSRF-protected form, rate
limited per client address. Unknown, expired and revoked tokens all get the same neutral page.
The page names the vendor's programme and the partner rated, nothing else of the partner."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit.decorators import ratelimit

from feedback.models import ResponseChannel
from feedback.survey_forms import AnswerForm
from feedback.survey_links import LinkInvalid, survey_link_for_token
from feedback.survey_services import survey_response_record

GET_RATE, POST_RATE = "120/h", "20/h"
TEMPLATE = "feedback/surveys/public.html"


def _page(request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    context = {"programme_name": settings.PROGRAMME_NAME, **context}
    return render(request, TEMPLATE, context, status=status)


@ratelimit(key="ip", rate=GET_RATE, method="GET", block=False)
@ratelimit(key="ip", rate=POST_RATE, method="POST", block=False)
def answer(request: HttpRequest, token: str) -> HttpResponse:
    if getattr(request, "limited", False):
        return _page(request, status=429, state="limited")
    try:
        link = survey_link_for_token(token)
    except LinkInvalid:
        return _page(request, status=404, state="invalid")
    survey = link.survey
    context: dict[str, Any] = {"survey": survey, "partner_name": link.partner.name}
    if not survey.is_active:
        return _page(request, status=410, state="closed", **context)
    if survey.one_response_per_link and link.responses.exists():
        return _page(request, status=410, state="used", **context)
    form = AnswerForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            survey_response_record(
                survey=survey,
                partner=link.partner,
                answered_on=timezone.localdate(),
                answers=form.answers(),
                channel=ResponseChannel.LINK,
                link=link,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return _page(request, state="thanks", **context)
    status = 400 if form.errors else 200
    return _page(request, status=status, state="form", form=form, **context)
