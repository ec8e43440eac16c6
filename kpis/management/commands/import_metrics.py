import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpis.imports import ImportFailed, metric_values_import


class Command(BaseCommand):
    help = (
        "Import metric values from a CSV with header partner_code,kpi_code,observed_on,value "
        "(ISO dates). Upserts on (partner, KPI, date); a bad row stops the import and nothing "
        "is written. Enqueues a recompute of the affected open periods."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file path, or - for standard input")

    def handle(self, *args, file: str, **options):
        if file == "-":
            stream = sys.stdin.buffer
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"{file}: no such file")
            stream = path.open("rb")

        def progress(rows: int) -> None:
            self.stderr.write(f"  read {rows:,} rows...")

        try:
            result = metric_values_import(stream, progress=progress)
        except ImportFailed as exc:
            raise CommandError(
                f"{file}: {exc.bad_rows:,} bad row(s) ({exc.total_errors:,} problems), "
                f"nothing was imported:\n{exc}"
            ) from None
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"{file}: {result.rows:,} rows, {result.written:,} new or changed, "
                f"{result.unchanged:,} unchanged ({result.first_day} .. {result.last_day})."
            )
        )
