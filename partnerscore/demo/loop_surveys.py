"""The demo's surveys (issue 12): a partner relationship survey and a customer satisfaction
survey, with the latest (open) quarter's responses written in bulk.

The generator already made the customer NPS answers (0-10 metric values of `customer_nps`, a
survey KPI): in the open quarter they become real survey responses (with a CSAT, a choice and
a free-text answer beside them) and their metric values are deleted, so no answer counts twice
and the scorecards keep their NPS. The persona partner users get relationship survey requests
(`partner`'s open, `partner2`'s answered), and a few partners get public links."""

import datetime as dt
import hashlib

import numpy as np
from django.db import transaction
from django.utils import timezone

from assessments.services import scorecards_recompute
from feedback.models import (
    Answer,
    Question,
    QuestionKind,
    ResponseChannel,
    Survey,
    SurveyAudience,
    SurveyLink,
    SurveyRequest,
    SurveyResponse,
)
from kpis.models import KPI, MetricValue, Period, PeriodStatus
from partners.models import Partner, PortalUser

CUSTOMER_TEXTS = (
    "Quick to answer and knew the product well.",
    "Installation took longer than promised.",
    "Great support after go-live, thank you!",
    "Pricing was not clear until the invoice arrived.",
    "Our account manager changed twice this year.",
    "Very professional team, would buy again.",
    "Training was excellent; documentation could be better.",
    "Slow to respond to tickets in the summer.",
)
PARTNER_TEXTS = (
    "Deal registration approvals are too slow.",
    "The new MDF process is much simpler, thanks.",
    "We would like more joint marketing in our region.",
    "Certification exams should be available in more languages.",
    "Our channel manager is responsive and helpful.",
    "Lead sharing has improved a lot this quarter.",
)
REASONS = ("Product quality", "Service and support", "Price", "Expertise of the staff", "Other")


def _surveys() -> tuple[Survey, list[Question], Survey, list[Question]]:
    nps = KPI.objects.filter(code="customer_nps", source="survey", aggregation="nps").first()
    relation = Survey.objects.create(
        name="Partner relationship survey",
        audience=SurveyAudience.PARTNER,
        intro="Once a quarter: how is working with us going? Your answers go to your channel "
        "manager and shape next quarter's plan.",
    )
    rq = Question.objects.bulk_create(
        [
            Question(
                survey=relation,
                position=1,
                kind=QuestionKind.SCALE_10,
                text="How likely are you to recommend our partner programme to a peer?",
            ),
            Question(
                survey=relation,
                position=2,
                kind=QuestionKind.SCALE_5,
                text="How satisfied are you with your channel manager's support?",
            ),
            Question(
                survey=relation,
                position=3,
                kind=QuestionKind.SCALE_5,
                text="How easy is it to register deals and get them approved?",
            ),
            Question(
                survey=relation,
                position=4,
                kind=QuestionKind.TEXT,
                required=False,
                text="What should we improve next quarter?",
            ),
        ]
    )
    customer = Survey.objects.create(
        name="Customer satisfaction survey",
        audience=SurveyAudience.CUSTOMER,
        intro="Two minutes about the partner who sold you our product and looks after you.",
        link_valid_days=30,
    )
    cq = Question.objects.bulk_create(
        [
            Question(
                survey=customer,
                position=1,
                kind=QuestionKind.SCALE_10,
                kpi=nps,
                text="How likely are you to recommend this partner to a colleague?",
            ),
            # not linked to `csat`: that KPI takes 0/100 per answer, not a 1-5 rating
            Question(
                survey=customer,
                position=2,
                kind=QuestionKind.SCALE_5,
                text="Overall, how satisfied are you with the partner?",
            ),
            Question(
                survey=customer,
                position=3,
                kind=QuestionKind.CHOICE,
                text="What matters most to you?",
                choices="\n".join(REASONS),
            ),
            Question(
                survey=customer,
                position=4,
                kind=QuestionKind.TEXT,
                required=False,
                text="Anything you would like to tell us?",
            ),
        ]
    )
    return relation, rq, customer, cq


def _customer_responses(
    rng, periods: list[Period], survey: Survey, qs: list[Question]
) -> tuple[int, int]:
    """The quarters' generated NPS answers become responses and their metric values go: the
    same observations, so closed quarters' frozen scorecards still match them. In the open
    quarter a second customer answers on the same day now and then (responses, not values
    keyed by day)."""
    if qs[0].kpi_id is None:
        return 0, 0
    values = MetricValue.objects.filter(
        kpi_id=qs[0].kpi_id, observed_on__range=(periods[0].start, periods[-1].end)
    )
    rows = list(values.values_list("partner_id", "observed_on", "value"))
    latest = [r for r in rows if r[1] >= periods[-1].start]
    if latest:
        extra = [latest[i] for i in rng.choice(len(latest), size=len(latest) // 8, replace=False)]
        rows += [(p, d, float(np.clip(v + rng.integers(-2, 3), 0, 10))) for p, d, v in extra]
    channels = rng.choice(
        [ResponseChannel.LINK, ResponseChannel.IMPORT], size=len(rows), p=[0.7, 0.3]
    )
    responses = SurveyResponse.objects.bulk_create(
        (
            SurveyResponse(survey=survey, partner_id=p, answered_on=d, channel=c)
            for (p, d, _), c in zip(rows, channels, strict=True)
        ),
        batch_size=5000,
    )
    answers = []
    for response, (_, _, value) in zip(responses, rows, strict=True):
        satisfied = int(np.clip(round(1 + value * 0.4 + rng.normal(0, 0.6)), 1, 5))
        answers += [
            Answer(response=response, question=qs[0], value=value),
            Answer(response=response, question=qs[1], value=satisfied),
            Answer(response=response, question=qs[2], text=str(rng.choice(REASONS))),
        ]
        if rng.random() < 0.2:
            text = str(rng.choice(CUSTOMER_TEXTS))
            answers.append(Answer(response=response, question=qs[3], text=text))
    Answer.objects.bulk_create(answers, batch_size=5000)
    moved = values.count()
    values.delete()
    return len(responses), moved


def _relationship(
    rng, periods: list[Period], survey: Survey, qs: list[Question]
) -> tuple[int, int]:
    """Responses from a third of the partners (portal users we do not model one by one), and
    the persona users' requests: `partner` has one open, `partner2` answered theirs."""
    ids = np.array(Partner.objects.filter(is_active=True).values_list("pk", flat=True))
    rows = [
        (int(p), quarter.start + dt.timedelta(days=int(rng.integers(0, days + 1))))
        for quarter, days in ((q, (q.end - q.start).days) for q in periods)
        for p in ids[rng.random(len(ids)) < 0.33]
        for _ in range(int(rng.integers(1, 4)))
    ]
    period = periods[-1]
    personas = {
        pu.user.username: pu
        for pu in PortalUser.objects.select_related("user").filter(
            user__username__in=("partner", "partner2")
        )
    }
    requests = SurveyRequest.objects.bulk_create(
        SurveyRequest(survey=survey, period=period, partner_id=pu.partner_id, user=pu.user)
        for pu in personas.values()
    )
    answered = [r for r in requests if r.user.username == "partner2"]
    now = timezone.now()
    responses = SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(survey=survey, partner_id=p, answered_on=d, channel="portal")
            for p, d in rows
        ]
        + [
            SurveyResponse(
                survey=survey,
                partner_id=r.partner_id,
                answered_on=period.end,
                channel="portal",
                request=r,
                respondent=r.user,
            )
            for r in answered
        ]
    )
    SurveyRequest.objects.filter(pk__in=[r.pk for r in answered]).update(answered_at=now)
    answers = []
    for response in responses:
        mood = rng.normal(0, 1)
        answers += [
            Answer(
                response=response,
                question=qs[0],
                value=float(np.clip(round(7.5 + 1.8 * mood), 0, 10)),
            ),
            Answer(
                response=response,
                question=qs[1],
                value=float(np.clip(round(3.8 + 0.9 * mood), 1, 5)),
            ),
            Answer(
                response=response,
                question=qs[2],
                value=float(np.clip(round(3.2 + 1.0 * rng.normal(0, 1)), 1, 5)),
            ),
        ]
        if rng.random() < 0.3:
            answers.append(
                Answer(response=response, question=qs[3], text=str(rng.choice(PARTNER_TEXTS)))
            )
    Answer.objects.bulk_create(answers, batch_size=5000)
    return len(responses), len(requests)


def _links(rng, survey: Survey) -> int:
    """A few partners' links (open, used, revoked, expired); their tokens are never shown."""
    partner_ids = list(
        PortalUser.objects.values_list("partner_id", flat=True).distinct()[:2]
    ) + list(Partner.objects.order_by("pk").values_list("pk", flat=True)[:4])
    now = timezone.now()
    links = []
    for i, partner_id in enumerate(dict.fromkeys(partner_ids)):
        for j, label in enumerate(("Northwind Traders", "Contoso Ltd", "Fabrikam Inc")):
            links.append(
                SurveyLink(
                    survey=survey,
                    partner_id=partner_id,
                    label=label,
                    token_hash=hashlib.sha256(rng.bytes(32)).hexdigest(),
                    expires_at=now + dt.timedelta(days=(30 if (i + j) % 3 else -2)),
                    revoked_at=now if (i + j) % 5 == 4 else None,
                )
            )
    SurveyLink.objects.bulk_create(links)
    return len(links)


def seed_surveys(*, rng: np.random.Generator) -> dict[str, int]:
    period = Period.objects.filter(status=PeriodStatus.OPEN).order_by("-end").first()
    if period is None:
        return {}
    # the open quarter and the two before it: the results pages show a trend
    periods = list(
        Period.objects.filter(granularity=period.granularity, end__lte=period.end).order_by("-end")[
            :3
        ]
    )[::-1]
    with transaction.atomic():
        relation, rq, customer, cq = _surveys()
        customer_n, moved = _customer_responses(rng, periods, customer, cq)
        relation_n, requests_n = _relationship(rng, periods, relation, rq)
        links_n = _links(rng, customer)
    # the NPS answers moved from metric values to responses: the scorecards read them now
    scorecards_recompute(period_id=period.pk, trigger="seed_demo surveys")
    return {
        "survey responses": customer_n + relation_n,
        "survey requests": requests_n,
        "survey links": links_n,
        "nps values moved to responses": moved,
    }
