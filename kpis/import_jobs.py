"""Imports from the browser: upload -> check (a preview, nothing written) -> confirm -> import.
Checking and importing run as Celery tasks that report progress through Redis."""

import uuid
from functools import cache
from pathlib import Path

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kpis.imports import MAX_ERRORS, ImportFailed, ImportResult, metric_values_import
from kpis.models import ImportJob, ImportKind, ImportProfile

PROGRESS_KEY = "partnerscore:import:progress:{id}"


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def import_job_progress(*, job: ImportJob) -> int:
    value = _redis().get(PROGRESS_KEY.format(id=job.pk))
    return int(value) if value else job.rows


def import_job_create(*, user, upload, kind: str, profile: ImportProfile | None) -> ImportJob:
    """Store the upload (an .xlsx becomes CSV), count its rows, and start the check."""
    from kpis.import_sources import xlsx_to_csv
    from kpis.tasks import import_job_check

    folder = Path(settings.UPLOAD_ROOT)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    with path.open("wb") as target:
        if upload.name.lower().endswith(".xlsx"):
            rows = xlsx_to_csv(upload, target)
        else:
            newlines, last = 0, b"\n"
            for chunk in upload.chunks():
                target.write(chunk)
                newlines += chunk.count(b"\n")
                last = chunk[-1:] or last
            rows = newlines + (last != b"\n")
    job = ImportJob.objects.create(
        kind=kind,
        profile=profile,
        user=user,
        original_name=upload.name[:255],
        stored_path=str(path),
        size_bytes=path.stat().st_size,
        rows_total=max(0, rows - 1),
    )
    transaction.on_commit(lambda: import_job_check.delay(job.pk))
    return job


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
    key = PROGRESS_KEY.format(id=job.pk)

    def progress(rows: int) -> None:
        _redis().set(key, rows, ex=3600)

    try:
        with open(job.stored_path, "rb") as stream:
            result = _run(job, stream, progress=progress, preview=preview)
    except ImportFailed as failure:
        job.status = ImportJob.Status.INVALID
        job.errors = [
            {"line": e.line, "field": e.field, "message": e.message}
            for e in failure.row_errors[:MAX_ERRORS]
        ]
        job.error_count = failure.total_errors
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
    finally:
        job.finished_at = timezone.now()
        job.save()
        _redis().delete(key)
    return job


def _run(job: ImportJob, stream, *, progress, preview: bool) -> ImportResult:
    if job.kind == ImportKind.PARTNERS:
        from partners.imports import partners_import

        return partners_import(stream, progress=progress, preview=preview)
    return metric_values_import(stream, progress=progress, preview=preview, profile=job.profile)
