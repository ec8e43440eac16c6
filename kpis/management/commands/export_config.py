from django.core.management.base import BaseCommand

from kpis.config import config_export


class Command(BaseCommand):
    help = (
        "Write the scoring configuration as YAML to standard output: partner types, regions, "
        "KPIs, periods, scoring models with their versions (lines, tiers) and the recompute "
        "schedules. `manage.py import_config FILE` reads it back."
    )

    def handle(self, *args, **options):
        self.stdout.write(config_export(), ending="")
