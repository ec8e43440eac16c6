from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from kpis.imports.jobs import import_job_confirm, import_job_create, import_job_progress
from kpis.models import ImportJob, ImportKind, ImportProfile
from partners.access import can_import, sees_all_partners

ALLOWED_SUFFIXES = (".csv", ".txt", ".xlsx")


def _require_importer(user) -> None:
    if not can_import(user):
        raise Http404("Imports are for channel managers and admins.")


def _jobs(user):
    """The imports a user may follow: all of them for those who see every partner, else their
    own (a job's errors and sample name partners)."""
    jobs = ImportJob.objects.all()
    return jobs if sees_all_partners(user) else jobs.filter(user=user)


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV (UTF-8) or .xlsx")
    kind = forms.ChoiceField(choices=ImportKind.choices, initial=ImportKind.METRIC_VALUES)
    profile = forms.ModelChoiceField(
        ImportProfile.objects.all(),
        required=False,
        empty_label="Our format (no profile)",
        help_text="How to read a CRM export or spreadsheet (metric values only).",
    )

    def clean_file(self):
        from django.conf import settings

        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {settings.IMPORT_MAX_BYTES // 2**20} MB."
            )
        return upload

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        if data.get("profile") and data.get("kind") == ImportKind.PARTNERS:
            raise forms.ValidationError("Profiles apply to metric values, not partners.")
        if data.get("kind") == ImportKind.PARTNERS and not sees_all_partners(self.user):
            raise forms.ValidationError(  # it may create partners and reassign managers
                "Partner imports are for admins and managers who see every partner."
            )
        return data


@login_required
def imports(request: HttpRequest) -> HttpResponse:
    _require_importer(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            user=request.user,
            upload=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            profile=form.cleaned_data["profile"],
        )
        return redirect("import-detail", pk=job.pk)
    history = Paginator(_jobs(request.user).select_related("user", "profile"), 25)
    return render(
        request,
        "kpis/imports.html",
        {
            "form": form,
            "page": history.get_page(request.GET.get("page")),
        },
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_importer(request.user)
    job = get_object_or_404(_jobs(request.user).select_related("user", "profile"), pk=pk)
    return render(
        request,
        "kpis/import_detail.html",
        {
            "job": job,
            "progress": import_job_progress(job=job) if job.is_busy else job.rows,
        },
    )


@login_required
def import_status(request: HttpRequest, pk: int) -> JsonResponse:
    _require_importer(request.user)
    job = get_object_or_404(_jobs(request.user), pk=pk)
    return JsonResponse(
        {
            "status": job.status,
            "busy": job.is_busy,
            "rows_done": import_job_progress(job=job),
            "rows_total": job.rows_total,
        }
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _require_importer(request.user)
    job = get_object_or_404(_jobs(request.user), pk=pk)
    if not import_job_confirm(job=job):
        messages.warning(request, "This import is not waiting for confirmation.")
    return redirect("import-detail", pk=job.pk)
