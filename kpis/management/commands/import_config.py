import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpis.config import MAX_BYTES, ConfigInvalid, config_import


class Command(BaseCommand):
    help = (
        "Apply a configuration file written by export_config: everything is checked first and "
        "applied in one transaction, or nothing is. Items are matched by code (versions by "
        "number, schedules by name); items the file leaves out are kept. Published versions "
        "cannot change. --dry-run counts what would change and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="YAML file path, or - for standard input")
        parser.add_argument("--dry-run", action="store_true", help="check and count only")

    def handle(self, *args, file: str, dry_run: bool, **options):
        text = self.read(file)
        try:
            report = config_import(text, dry_run=dry_run)
        except ConfigInvalid as exc:
            raise CommandError(
                f"{file}: {len(exc.errors)} problem(s), nothing was changed:\n{exc}"
            ) from None
        for line in report.lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")

    def read(self, file: str) -> bytes:
        if file == "-":
            text = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"{file}: no such file")
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(f"{file}: too large (at most {MAX_BYTES:,} bytes)")
            text = path.read_bytes()
        return text
