from django.core.management.base import BaseCommand, CommandError

from assessments.services import scorecards_recompute
from assessments.tasks import recompute_period
from kpis.models import Period, PeriodStatus


class Command(BaseCommand):
    help = "Recompute the scorecards of open periods (or one period), now or through Celery."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="a period code, e.g. 2026-Q3 (default: all open)")
        parser.add_argument(
            "--async",
            dest="use_celery",
            action="store_true",
            help="enqueue one Celery task per period instead of running here",
        )

    def handle(self, *args, period: str | None, use_celery: bool, **options):
        periods = Period.objects.order_by("start")
        if period:
            periods = periods.filter(code=period)
            if not periods.exists():
                codes = ", ".join(Period.objects.order_by("start").values_list("code", flat=True))
                raise CommandError(f"unknown period {period!r} (periods: {codes or 'none'})")
        else:
            periods = periods.filter(status=PeriodStatus.OPEN)
        for p in periods:
            if use_celery:
                recompute_period.delay(p.pk, "command")
                self.stdout.write(f"{p.code}: enqueued")
                continue
            run = scorecards_recompute(period_id=p.pk, trigger="command")
            self.stdout.write(
                f"{p.code}: {run.status}, {run.scorecards:,} scorecards, {run.lines:,} lines, "
                f"{run.duration or 0:.2f} s" + (f" ({run.error})" if run.error else "")
            )
