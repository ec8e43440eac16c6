"""Publishing a draft from the editor (issue 10): the what-if summary on the latest open period
first, then a required reason; the publish service retires the active version and requests
the recompute of every open period. Here, not in kpis: the preview is assessments'."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from assessments.views.approvals import approvals_in_use_refresh
from assessments.whatif import latest_open_period, whatif_preview_cached
from kpis.models import ScoringModelVersion, VersionStatus
from kpis.services import version_problems, version_publish
from kpis.views_config import config_nav, require_admin

MAX_REASON = 300


@login_required
def publish(request: HttpRequest, model: str, pk: int) -> HttpResponse:
    require_admin(request.user)
    version = get_object_or_404(
        ScoringModelVersion.objects.select_related("model"), model__code=model, pk=pk
    )
    if version.status != VersionStatus.DRAFT:
        messages.error(
            request, f"v{version.number} is already {version.status}: nothing to publish."
        )
        return redirect("config-version", model=model, pk=pk)
    reason, errors = "", []
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        errors = _reason_errors(reason)
        if not errors:
            try:
                version_publish(version=version, user=request.user, reason=reason)
            except ValidationError as exc:
                errors = exc.messages
            else:
                approvals_in_use_refresh()
                messages.success(
                    request,
                    f"{version.model.name} v{version.number} published ({reason}). The open "
                    "periods are being recomputed.",
                )
                return redirect("config-version", model=model, pk=pk)
    context = {
        "version": version,
        "reason": reason,
        "errors": errors,
        "problems": version_problems(version),
        "nav": config_nav("config-models"),
        **_preview(version),
    }
    return render(request, "config/publish.html", context, status=400 if errors else 200)


def _reason_errors(reason: str) -> list[str]:
    if not reason:
        return ["Give a reason for publishing: partners may change tier, and so benefits."]
    if len(reason) > MAX_REASON:
        return [f"Keep the reason under {MAX_REASON} characters (it has {len(reason)})."]
    return []


def _preview(version: ScoringModelVersion) -> dict:
    period = latest_open_period()
    if period is None:
        return {"period": None, "summary": None, "preview_error": ""}
    try:
        preview = whatif_preview_cached(version=version, period=period)
    except ValidationError as exc:
        return {"period": period, "summary": None, "preview_error": " ".join(exc.messages)}
    return {
        "period": period,
        "preview": preview,
        "summary": preview.summary(),
        "preview_error": "",
    }
