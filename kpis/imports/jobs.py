"""Imports from the browser: upload -> check (a preview, nothing written) -> confirm -> import.

The upload is kept with Django's storage API (the job's FileField) and deleted when the import
has ended (imported, or refused); checking and importing run as Celery tasks (kpis/tasks.py).
Progress is written on the job row through a second database connection ("progress"), so it
is visible while the import's own transaction is still open."""

import io
import logging

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from kpis.imports.metric_values import metric_values_import
from kpis.imports.partners import partners_import
from kpis.imports.readers import xlsx_to_csv
from kpis.imports.results import MAX_ERRORS, ImportFailed, ImportResult
from kpis.models import ImportJob, ImportKind, ImportProfile

logger = logging.getLogger(__name__)
PROGRESS_DB = "progress"


def import_job_create(*, user, upload, kind: str, profile: ImportProfile | None) -> ImportJob:
    """Store the upload (an .xlsx becomes CSV), count its rows, and start the check."""
    from kpis.tasks import import_job_check  # tasks is the entry point that imports us

    if upload.name.lower().endswith(".xlsx"):
        buffer = io.BytesIO()
        rows = xlsx_to_csv(upload, buffer)
        content = File(buffer, name="upload.csv")
    else:
        rows = _count_lines(upload)
        upload.seek(0)
        content = File(upload, name="upload.csv")
    job = ImportJob(
        kind=kind,
        profile=profile,
        user=user,
        original_name=upload.name[:255],
        rows_total=max(0, rows - 1),
    )
    job.file.save("upload.csv", content, save=False)
    job.size_bytes = job.file.size
    job.save()
    transaction.on_commit(lambda: import_job_check.delay(job.pk))
    return job


def _count_lines(upload) -> int:
    newlines, last = 0, b"\n"
    for chunk in upload.chunks():
        newlines += chunk.count(b"\n")
        last = chunk[-1:] or last
    return newlines + (last != b"\n")


def import_job_progress(*, job: ImportJob) -> int:
    return ImportJob.objects.using(PROGRESS_DB).values_list("rows", flat=True).get(pk=job.pk)


def import_job_confirm(*, job: ImportJob) -> bool:
    """Checked -> importing, once (a double click does not import twice)."""
    from kpis.tasks import import_job_import

    started = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEWED).update(
        status=ImportJob.Status.IMPORTING, rows=0
    )
    if started:
        transaction.on_commit(lambda: import_job_import.delay(job.pk))
    return bool(started)


def import_job_run(*, job_id: int, preview: bool) -> ImportJob:
    """Run the check (preview=True) or the import itself, recording the outcome on the job."""
    job = ImportJob.objects.select_related("profile").get(pk=job_id)

    def progress(rows: int) -> None:
        ImportJob.objects.using(PROGRESS_DB).filter(pk=job.pk).update(rows=rows)

    ended = False
    try:
        with job.file.open("rb") as stream:
            result = _run(job, stream, progress=progress, preview=preview)
    except ImportFailed as failure:
        job.status = ImportJob.Status.INVALID
        job.errors = [
            {"line": e.line, "field": e.field, "message": e.message}
            for e in failure.row_errors[:MAX_ERRORS]
        ]
        job.error_count = failure.total_errors
        ended = True
    except Exception as exc:  # an outage, not the file: say so, keep the file for a retry
        job.status = ImportJob.Status.FAILED
        job.errors = [{"line": None, "field": "", "message": f"Import failed: {exc!r}"}]
        job.error_count = 1
        raise
    else:
        job.status = ImportJob.Status.PREVIEWED if preview else ImportJob.Status.SUCCEEDED
        job.rows, job.written, job.unchanged = result.rows, result.written, result.unchanged
        if preview:
            job.new, job.replaced = result.new, result.replaced
            job.sample = [{**row, "observed_on": str(row["observed_on"])} for row in result.sample]
        ended = not preview
    finally:
        job.finished_at = timezone.now()
        if ended:
            job.file.delete(save=False)
        job.save()
    return job


def _run(job: ImportJob, stream, *, progress, preview: bool) -> ImportResult:
    if job.kind == ImportKind.PARTNERS:
        return partners_import(stream, progress=progress, preview=preview)
    return metric_values_import(stream, progress=progress, preview=preview, profile=job.profile)
