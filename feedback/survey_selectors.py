"""Surveys' reads: results per question across a set of partners (a manager's visible
portfolio, or one partner), aggregated in SQL (one GROUP BY per kind, whatever the number of
partners), the trend by quarter, and the free-text answers, paginated.

At 10,000 partners a survey has hundreds of thousands of answers: the aggregates are cached
per survey, set of partners and state of the responses (responses are only ever added, or
deleted with their partner, so their count and latest id name the state); a new response
makes a new key at once. The set of partners is named by its SQL, so a reassigned partner
shows after CACHE_SECONDS at the latest."""

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncQuarter

from feedback.models import Answer, Question, QuestionKind, Survey, SurveyLink, SurveyResponse
from partners.models import Partner

TEXTS_PER_PAGE = 20
CACHE_SECONDS = 300
T = TypeVar("T")


def _cached(what: str, survey: Survey, partners: QuerySet[Partner], compute: Callable[[], T]) -> T:
    state = SurveyResponse.objects.filter(survey=survey).aggregate(n=Count("id"), last=Max("id"))
    scope = hashlib.sha256(str(partners.query).encode()).hexdigest()[:24]
    key = f"survey:{what}:{survey.pk}:{state['n']}:{state['last']}:{scope}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, CACHE_SECONDS)
    return found


def nps_split(counts: dict[float, int]) -> tuple[int, int, int]:
    """(promoters 9-10, passives 7-8, detractors 0-6) of 0-10 answers."""
    promoters = sum(n for v, n in counts.items() if v >= 9)
    passives = sum(n for v, n in counts.items() if 7 <= v < 9)
    return promoters, passives, sum(counts.values()) - promoters - passives


def nps_of(counts: dict[float, int]) -> float | None:
    """SCORING.md's NPS: 100 x (promoters - detractors) / answers."""
    total = sum(counts.values())
    if not total:
        return None
    promoters, _, detractors = nps_split(counts)
    return 100.0 * (promoters - detractors) / total


def mean_of(counts: dict[float, int]) -> float | None:
    total = sum(counts.values())
    return sum(v * n for v, n in counts.items()) / total if total else None


@dataclass
class QuestionResult:
    question: Question
    counts: dict = field(default_factory=dict)  # value (or option) -> answers
    trend: list[tuple[str, float | None, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def nps(self) -> float | None:
        return nps_of(self.counts) if self.question.kind == QuestionKind.SCALE_10 else None

    @property
    def split(self) -> tuple[int, int, int]:
        return nps_split(self.counts)

    @property
    def mean(self) -> float | None:
        return (
            mean_of(self.counts)
            if self.question.kind in (QuestionKind.SCALE_10, QuestionKind.SCALE_5)
            else None
        )


def surveys_with_counts(*, partners: QuerySet[Partner]) -> list[Survey]:
    return list(
        Survey.objects.annotate(
            response_count=Count("responses", filter=Q(responses__partner__in=partners))
        ).order_by("-is_active", "name")
    )


def _answers(survey: Survey, partners: QuerySet[Partner]) -> QuerySet[Answer]:
    return Answer.objects.filter(response__survey=survey, response__partner__in=partners)


def survey_results(*, survey: Survey, partners: QuerySet[Partner]) -> list[QuestionResult]:
    """Per question: the answers' counts by value or option, and for numeric ones the score
    (NPS or mean) by quarter. Two GROUP BY queries (cached, see above)."""
    return _cached("results", survey, partners, lambda: _results(survey, partners))


def _results(survey: Survey, partners: QuerySet[Partner]) -> list[QuestionResult]:
    results = {q.pk: QuestionResult(q) for q in survey.questions.all()}
    answers = _answers(survey, partners)
    chosen = answers.filter(question__kind=QuestionKind.CHOICE).exclude(text="")
    for question_id, text, n in chosen.values_list("question_id", "text").annotate(n=Count("id")):
        results[question_id].counts[text] = n
    # numeric answers by quarter and value: the counts are their sums over the quarters
    by_quarter: dict[int, dict] = defaultdict(lambda: defaultdict(dict))
    rows = (
        answers.filter(value__isnull=False)
        .annotate(quarter=TruncQuarter("response__answered_on"))
        .values_list("question_id", "quarter", "value")
        .annotate(n=Count("id"))
        .order_by()
    )
    for question_id, quarter, value, n in rows:
        by_quarter[question_id][quarter][value] = n
        counts = results[question_id].counts
        counts[value] = counts.get(value, 0) + n
    for question_id, quarters in by_quarter.items():
        result = results[question_id]
        score = nps_of if result.question.kind == QuestionKind.SCALE_10 else mean_of
        result.trend = [
            (f"{q.year}-Q{(q.month - 1) // 3 + 1}", score(c), sum(c.values()))
            for q, c in sorted(quarters.items())
        ]
    return list(results.values())


def text_answers(*, survey: Survey, partners: QuerySet[Partner], page: str | int | None) -> Page:
    """Free-text answers, newest first, with the response's day and partner, paginated."""
    texts = (
        _answers(survey, partners)
        .filter(question__kind=QuestionKind.TEXT)
        .exclude(text="")
        .select_related("question", "response__partner")
        .order_by("-response__answered_on", "-pk")
    )
    return Paginator(texts, TEXTS_PER_PAGE).get_page(page)


def response_count(*, survey: Survey, partners: QuerySet[Partner]) -> int:
    return SurveyResponse.objects.filter(survey=survey, partner__in=partners).count()


def partner_links(*, partner: Partner) -> list[SurveyLink]:
    return list(
        partner.survey_links.select_related("survey", "created_by").annotate(
            response_count=Count("responses")
        )[:50]
    )
