import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpis.imports import ImportFailed, partners_import
from kpis.imports.readers import xlsx_to_csv


class Command(BaseCommand):
    """Lives in kpis (not partners) because the partner import does: partners is the lowest
    app and imports no other (tests/test_layers.py)."""

    help = (
        "Import partners from a CSV or .xlsx with columns code, name, type (code or name) and "
        "optionally region and manager (a channel manager's username); upserts on code. The "
        "same rules and messages as the browser import and POST /api/v1/partners/bulk/: a bad "
        "row stops the import and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv (UTF-8) or .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="check and count only")

    def handle(self, *args, file: str, dry_run: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            with path.open("rb") as source:
                if path.suffix.lower() == ".xlsx":
                    stream = io.BytesIO()
                    xlsx_to_csv(source, stream)
                    stream.seek(0)
                else:
                    stream = io.BytesIO(source.read())
            result = partners_import(stream, preview=dry_run)
        except ImportFailed as exc:
            raise CommandError(
                f"{file}: {exc.bad_rows:,} bad row(s), nothing was imported:\n{exc}"
            ) from None
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            self.style.SUCCESS(
                f"{file}: {result.rows:,} partners: {result.new:,} new, {result.replaced:,} "
                f"changed, {result.unchanged:,} unchanged {verb} written."
            )
        )
