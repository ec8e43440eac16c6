"""CSV import of survey responses (customer surveys answered elsewhere): one service for the
manager's upload page and the `import_survey_responses` command.

Columns: partner_code, answered_on (YYYY-MM-DD), then one column per question, named by the
question's position (1, 2, ...) or its text. Every row is one response (several per partner
and day are several responses). All or nothing: any bad row refuses the whole file, with every
problem listed by its line number."""

import csv
import datetime as dt
import io
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from feedback.models import Question, ResponseChannel, Survey
from feedback.survey_services import answers_clean, survey_response_record
from kpis.models import closed_period_message
from kpis.models.measures import closed_period_containing
from partners.access import visible_partners
from partners.models import Partner

MAX_ERRORS = 50


class ImportRefused(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _columns(header: list[str], questions: list[Question]) -> dict[int, Question]:
    """{column index: question}, from the header's names (position or text)."""
    names = [h.strip() for h in header]
    if names[:2] != ["partner_code", "answered_on"]:
        raise ImportRefused(["Line 1: the first columns must be partner_code, answered_on."])
    by_name: dict[str, Question] = {}
    for number, question in enumerate(questions, start=1):
        by_name[str(number)] = question
        by_name[question.text.strip().casefold()] = question
    columns: dict[int, Question] = {}
    errors: list[str] = []
    for index, name in enumerate(names[2:], start=2):
        found = by_name.get(name.casefold())
        if found is None:
            errors.append(f"Line 1: column “{name}” is no question of this survey.")
        elif found in columns.values():
            errors.append(f"Line 1: “{name}” names a question already given a column.")
        else:
            columns[index] = found
    if errors:
        raise ImportRefused(errors)
    return columns


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"answered_on “{text}” is not a date (YYYY-MM-DD).") from None


def survey_responses_import(*, survey: Survey, rows: Iterable[list[str]], user: User | None) -> int:
    """Imports every row as a response, or none (ImportRefused listing the bad lines). With a
    user, partners they do not see are unknown to them; without (the command), all are known."""
    rows = iter(rows)
    questions = list(survey.questions.all())
    columns = _columns(next(rows, []), questions)
    partners = visible_partners(user) if user is not None else Partner.objects.all()
    parsed: list[tuple[int, str, dt.date, dict[int, str]]] = []
    errors: list[str] = []
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            parsed.append(_row(line, row, columns, questions))
        except ValidationError as exc:
            errors.extend(f"Line {line}: {m}" for m in exc.messages)
        if len(errors) >= MAX_ERRORS:
            break
    codes = {code for _, code, _, _ in parsed}
    known = dict(partners.filter(code__in=codes).values_list("code", "pk"))
    errors += [
        f"Line {line}: unknown partner “{code}”."
        for line, code, _, _ in parsed
        if code not in known
    ]
    if errors:
        raise ImportRefused(sorted(errors, key=_line_number)[:MAX_ERRORS])
    if not parsed:
        raise ImportRefused(["The file has no responses."])
    return _write(survey, parsed, known)


def _line_number(error: str) -> int:
    return int(error.split(":")[0].removeprefix("Line "))


def _row(line: int, row: list[str], columns: dict[int, Question], questions: list[Question]):
    code = row[0].strip() if row else ""
    if not code:
        raise ValidationError("partner_code is empty.")
    day = _day(row[1] if len(row) > 1 else "")
    closed = closed_period_containing(day)
    if closed is not None:
        raise ValidationError(closed_period_message(closed.code, day.isoformat()) + ".")
    raw = {q.pk: row[i] if i < len(row) else "" for i, q in columns.items()}
    try:
        answers_clean(questions=questions, raw=raw)
    except ValidationError as exc:
        raise ValidationError([m for ms in exc.message_dict.values() for m in ms]) from None
    return line, code, day, raw


def _write(survey: Survey, parsed: list, known: dict[str, int]) -> int:
    partners = {p.pk: p for p in Partner.objects.filter(pk__in=known.values())}
    with transaction.atomic():
        for _line, code, day, raw in parsed:
            survey_response_record(
                survey=survey,
                partner=partners[known[code]],
                answered_on=day,
                answers=raw,
                channel=ResponseChannel.IMPORT,
            )
    return len(parsed)


def read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(["The file is not UTF-8 text."]) from None
    return list(csv.reader(io.StringIO(text)))
