"""Imports from the browser: upload -> check (a preview, nothing written) -> confirm -> import.

The upload is kept with Django's storage API (the job's FileField) and deleted when the import
has ended (imported, or refused); checking and importing run as Celery tasks (kpis/tasks.py).
Progress is written on the job row through a second database connection ("progress"), so it
is visible while the import's own transaction is still open."""

import io
import logging

from django.contrib.auth.models import AnonymousUser
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
    """Store the upload as it came and start the check in the worker (which converts an
    .xlsx to CSV and counts the rows: nothing slow happens in the web request). If the task
    queue is unreachable, the job says so at once."""
    from kpis.tasks import import_job_check  # tasks is the entry point that imports us

    suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
    job = ImportJob(kind=kind, profile=profile, user=user, original_name=upload.name[:255])
    job.file.save(f"upload{suffix}", File(upload), save=False)
    job.size_bytes = job.file.size
    job.save()
    transaction.on_commit(lambda: _send(job, import_job_check))
    return job


def _send(job: ImportJob, task) -> None:
    try:
        task.delay(job.pk)
    except Exception:  # the broker is down: say so on the job instead of a server error
        logger.warning("could not queue import job %s", job.pk, exc_info=True)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            finished_at=timezone.now(),
            error_count=1,
            errors=[{"line": None, "field": "", "message": QUEUE_DOWN}],
        )


QUEUE_DOWN = "The task queue is unreachable, so the file could not be processed; try again later."


def _prepare(job: ImportJob, progress) -> None:
    """In the worker, before the check: an .xlsx becomes CSV (replacing the upload) and the
    rows are counted for the progress bar."""
    if job.file.name.endswith(".xlsx"):
        buffer = io.BytesIO()
        with job.file.open("rb") as source:
            rows = xlsx_to_csv(source, buffer, progress=progress)
        job.file.delete(save=False)
        job.file.save("upload.csv", File(buffer), save=False)
    else:
        with job.file.open("rb") as source:
            rows = _count_lines(source)
    job.rows_total = max(0, rows - 1)
    ImportJob.objects.filter(pk=job.pk).update(
        file=job.file.name, size_bytes=job.file.size, rows_total=job.rows_total
    )


def _count_lines(stream) -> int:
    newlines, last = 0, b"\n"
    for chunk in iter(lambda: stream.read(2**20), b""):
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
        transaction.on_commit(lambda: _send(job, import_job_import))
    return bool(started)


def import_job_run(*, job_id: int, preview: bool) -> ImportJob:
    """Run the check (preview=True) or the import itself, recording the outcome on the job."""
    job = ImportJob.objects.select_related("profile").get(pk=job_id)

    def progress(rows: int) -> None:
        ImportJob.objects.using(PROGRESS_DB).filter(pk=job.pk).update(rows=rows)

    ended = False
    try:
        if preview:
            _prepare(job, progress)
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
    return metric_values_import(
        stream, progress=progress, preview=preview, profile=job.profile, user=_importer(job)
    )


def _importer(job: ImportJob):
    """The user the import's rows are checked against; a job whose user is gone may write
    nothing (AnonymousUser sees no partner)."""
    return job.user if job.user is not None else AnonymousUser()
