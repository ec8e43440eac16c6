"""The configuration editor for admins (issue 10): scoring models and their versions, KPIs.
Every write goes through the writers the API and the import use (kpis.drafts.draft_write,
KPI.full_clean); publishing is assessments' (it shows the what-if first)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from kpis.drafts import DraftExists, draft_create
from kpis.editor_form import form_apply, form_from_post, form_from_version, form_json
from kpis.forms import KPIForm
from kpis.models import (
    KPI,
    MissingPolicy,
    ScoringModel,
    ScoringModelVersion,
    Source,
    VersionStatus,
    kpi_formula_check,
)
from partners.access import Role, role

# the configuration pages' own navigation: (label, url name); pages of lanes not merged yet
# are left out rather than linked to a 404
CONFIG_PAGES = [
    ("Models", "config-models"),
    ("KPIs", "config-kpis"),
    ("Periods", "periods"),
    ("Schedule", "config-schedule"),
    ("What if", "whatif"),
]


def require_admin(user) -> None:
    """The editor is for admins; anyone else gets a 404, as for a partner they may not see."""
    if role(user) != Role.ADMIN:
        raise Http404("The configuration pages are for admins.")


def config_nav(current: str) -> list[tuple[str, str, bool]]:
    pages = []
    for label, name in CONFIG_PAGES:
        try:
            pages.append((label, reverse(name), name == current))
        except NoReverseMatch:
            continue
    return pages


# -- scoring models -------------------------------------------------------------------------------


@login_required
def models_list(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    models = ScoringModel.objects.select_related("partner_type").prefetch_related("versions")
    rows = []
    for model in models:
        versions = sorted(model.versions.all(), key=lambda v: -v.number)
        rows.append(
            {
                "model": model,
                "active": next((v for v in versions if v.status == VersionStatus.ACTIVE), None),
                "draft": next((v for v in versions if v.status == VersionStatus.DRAFT), None),
                "retired": [v for v in versions if v.status == VersionStatus.RETIRED],
            }
        )
    return render(request, "config/models.html", {"rows": rows, "nav": config_nav("config-models")})


@login_required
@require_POST
def draft_new(request: HttpRequest, model: str) -> HttpResponse:
    """A new draft copied from the active version (or the existing draft: one at a time)."""
    require_admin(request.user)
    scoring_model = get_object_or_404(ScoringModel, code=model)
    try:
        draft = draft_create(model=scoring_model)
        messages.success(
            request, f"Draft v{draft.number} created from the active version: edit, then publish."
        )
    except DraftExists as exc:
        draft = exc.draft
        messages.info(request, str(exc))
    return redirect("config-version", model=scoring_model.code, pk=draft.pk)


def _version(model: str, pk: int) -> ScoringModelVersion:
    return get_object_or_404(
        ScoringModelVersion.objects.select_related("model", "published_by"),
        model__code=model,
        pk=pk,
    )


@login_required
def version_edit(request: HttpRequest, model: str, pk: int) -> HttpResponse:
    require_admin(request.user)
    version = _version(model, pk)
    editable = version.status == VersionStatus.DRAFT
    status = 200
    if request.method == "POST":
        if not editable:
            messages.error(request, _read_only(version))
            return redirect("config-version", model=model, pk=pk)
        form = form_from_post(request.POST)
        if form_apply(version=version, form=form, save=True):
            messages.success(request, f"Draft v{version.number} saved.")
            return redirect("config-version", model=model, pk=pk)
        status = 400
    else:
        form = form_from_version(version)
    context = {
        "version": version,
        "form": form,
        "editable": editable,
        "read_only": "" if editable else _read_only(version),
        "draft": version.model.versions.filter(status=VersionStatus.DRAFT).first(),
        "kpis": KPI.objects.order_by("code"),
        "policies": MissingPolicy.choices,
        "nav": config_nav("config-models"),
    }
    return render(request, "config/version.html", context, status=status)


def _read_only(version: ScoringModelVersion) -> str:
    return (
        f"v{version.number} is {version.get_status_display().lower()}: a published version is "
        "read-only (scorecards were computed with it). Make a new draft to change it."
    )


@login_required
@require_POST
def version_validate(request: HttpRequest, model: str, pk: int) -> JsonResponse:
    """The live validation: the posted form checked by the writer itself, nothing saved."""
    require_admin(request.user)
    version = _version(model, pk)
    form = form_from_post(request.POST)
    if version.status != VersionStatus.DRAFT:
        form.errors["__all__"] = [_read_only(version)]
    else:
        form_apply(version=version, form=form, save=False)
    return JsonResponse(form_json(form))


# -- KPIs ---------------------------------------------------------------------------------------


class KPIEditForm(KPIForm):
    """The shared KPI form, laid out for the editor; a saved KPI's code is fixed."""

    class Meta(KPIForm.Meta):
        widgets = {
            "formula": forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # formulas and files refer to a KPI by its code
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "A KPI's code is fixed: formulas and files use it."


@login_required
def kpi_list(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    return render(
        request,
        "config/kpis.html",
        {"kpis": KPI.objects.order_by("category", "code"), "nav": config_nav("config-kpis")},
    )


@login_required
def kpi_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    require_admin(request.user)
    kpi = get_object_or_404(KPI, code=code) if code else None
    form = KPIEditForm(request.POST or None, instance=kpi)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"KPI {saved.code} saved.")
        return redirect("config-kpi", code=saved.code)
    formula = form["formula"].value() or ""
    context = {
        "form": form,
        "kpi": kpi,
        "inputs": _formula_inputs(code or form["code"].value() or "", formula),
        "nav": config_nav("config-kpis"),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "config/kpi.html", context, status=status)


def _formula_inputs(code: str, text: str) -> dict:
    """The formula check as the page shows it: its error, or the KPIs it reads."""
    text = (text or "").strip()
    if not text:
        return {"ok": False, "error": "", "inputs": [], "previous": []}
    try:
        formula = kpi_formula_check(code=code or "this_kpi", text=text)
    except ValidationError as exc:
        return {"ok": False, "error": " ".join(exc.messages), "inputs": [], "previous": []}
    return {
        "ok": True,
        "error": "",
        "inputs": sorted(formula.refs),
        "previous": sorted(formula.prev_refs),
    }


@login_required
@require_POST
def kpi_formula_check_view(request: HttpRequest) -> JsonResponse:
    """The formula field as the admin types: the same check KPI.clean() makes."""
    require_admin(request.user)
    code = request.POST.get("code", "").strip()
    result = _formula_inputs(code, request.POST.get("formula", ""))
    result["formula_source"] = Source.FORMULA
    return JsonResponse(result)
