from celery import shared_task

from kpis.imports.jobs import import_job_run


@shared_task
def import_job_check(job_id: int) -> str:
    return import_job_run(job_id=job_id, preview=True).status


@shared_task
def import_job_import(job_id: int) -> str:
    return import_job_run(job_id=job_id, preview=False).status
