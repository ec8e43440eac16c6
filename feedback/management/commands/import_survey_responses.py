"""python manage.py import_survey_responses SURVEY_ID FILE.csv: the upload page's import."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from feedback.models import Survey
from feedback.survey_import import ImportRefused, read_csv, survey_responses_import


class Command(BaseCommand):
    help = "Import survey responses from a CSV file (all or nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("survey", type=int, help="The survey's id.")
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options) -> None:
        survey = Survey.objects.filter(pk=options["survey"]).first()
        if survey is None:
            raise CommandError(f"No survey with id {options['survey']}.")
        try:
            count = survey_responses_import(
                survey=survey, rows=read_csv(options["file"].read_bytes()), user=None
            )
        except ImportRefused as exc:
            raise CommandError("Nothing imported:\n" + "\n".join(exc.errors)) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{count} responses to “{survey.name}” imported.")
