"""Managers' survey pages: results across the visible portfolio, one partner's results and
public links (made and revoked here; a new link's address is shown once), the CSV import."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from feedback import survey_charts, survey_selectors
from feedback.models import Survey, SurveyAudience, SurveyLink
from feedback.survey_forms import ImportForm, LinkForm
from feedback.survey_import import ImportRefused, read_csv, survey_responses_import
from feedback.survey_links import link_state, survey_link_create, survey_link_revoke
from partners.access import is_manager, partner_for_user, visible_partners
from partners.models import Partner


def _managers_only(request: HttpRequest) -> HttpResponse | None:
    if not is_manager(request.user):
        return render(request, "assessments/no_access.html", status=403)
    return None


def _results_context(request: HttpRequest, partners: QuerySet[Partner], surveys: list) -> dict:
    chosen = request.GET.get("survey", "")
    survey = next((s for s in surveys if str(s.pk) == chosen), None)
    if survey is None and surveys:
        survey = max(surveys, key=lambda s: (s.is_active, s.response_count))
    if survey is None:
        return {"surveys": surveys, "survey": None}
    results = survey_selectors.survey_results(survey=survey, partners=partners)
    return {
        "surveys": surveys,
        "survey": survey,
        "results": [(r, survey_charts.question_charts(r)) for r in results],
        "texts": survey_selectors.text_answers(
            survey=survey, partners=partners, page=request.GET.get("page")
        ),
    }


@login_required
def results(request: HttpRequest) -> HttpResponse:
    if refused := _managers_only(request):
        return refused
    partners = visible_partners(request.user)
    surveys = survey_selectors.surveys_with_counts(partners=partners)
    context = _results_context(request, partners, surveys) | {"scope": "portfolio"}
    return render(request, "feedback/surveys/results.html", context)


def _partner_page(request: HttpRequest, partner: Partner, **extra) -> HttpResponse:
    scope = Partner.objects.filter(pk=partner.pk)
    surveys = survey_selectors.surveys_with_counts(partners=scope)
    customer = Survey.objects.filter(audience=SurveyAudience.CUSTOMER, is_active=True)
    context = _results_context(request, scope, surveys) | {
        "scope": "partner",
        "partner": partner,
        "links": [
            (link, link_state(link)) for link in survey_selectors.partner_links(partner=partner)
        ],
        "link_form": extra.pop("link_form", None) or LinkForm(surveys=customer),
        **extra,
    }
    return render(request, "feedback/surveys/partner.html", context)


@login_required
def partner_results(request: HttpRequest, code: str) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404("No such partner.")
    return _partner_page(request, partner_for_user(request.user, code))


@login_required
@require_POST
def link_create(request: HttpRequest, code: str) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404("No such partner.")
    partner = partner_for_user(request.user, code)
    customer = Survey.objects.filter(audience=SurveyAudience.CUSTOMER, is_active=True)
    form = LinkForm(request.POST, surveys=customer)
    if not form.is_valid():
        return _partner_page(request, partner, link_form=form)
    try:
        link, token = survey_link_create(
            survey=form.cleaned_data["survey"],
            partner=partner,
            created_by=cast(User, request.user),  # login_required
            label=form.cleaned_data["label"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _partner_page(request, partner, link_form=form)
    address = request.build_absolute_uri(reverse("survey-public", args=[token]))
    return _partner_page(request, partner, new_link=link, new_address=address)


@login_required
@require_POST
def link_revoke(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404("No such partner.")
    partner = partner_for_user(request.user, code)
    link = get_object_or_404(SurveyLink, pk=pk, partner=partner)
    if survey_link_revoke(link=link):
        messages.success(
            request, f"The link{f' for {link.label}' if link.label else ''} is revoked."
        )
    return redirect("survey-partner", code=partner.code)


@login_required
def import_responses(request: HttpRequest) -> HttpResponse:
    if refused := _managers_only(request):
        return refused
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        survey = form.cleaned_data["survey"]
        try:
            rows = read_csv(form.cleaned_data["file"].read())
            count = survey_responses_import(survey=survey, rows=rows, user=cast(User, request.user))
        except ImportRefused as exc:
            errors = exc.errors
        else:
            messages.success(request, f"{count} responses to “{survey.name}” imported.")
            return redirect(f"{reverse('surveys')}?survey={survey.pk}")
    status = 400 if errors else 200
    context = {"form": form, "errors": errors}
    return render(request, "feedback/surveys/import.html", context, status=status)
