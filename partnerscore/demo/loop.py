"""The demo's feedback loop (issue 12): after the quarters are scored, a lively latest quarter
of assessments, survey responses, feedback threads, meetings, improvement plans and alerts.
Each part lives in its own module (loop_<part>.py) and is called from `seed_loop` in order."""

from collections.abc import Callable

import numpy as np
from django.db import connection

from assessments.models import Assessment, AssessmentRating
from feedback.models import Alert, Answer, SurveyResponse
from partnerscore.demo.loop_alerts import seed_alerts
from partnerscore.demo.loop_conversations import seed_conversations
from partnerscore.demo.loop_surveys import seed_surveys


def seed_loop(*, seed: int, say: Callable[[str], object]) -> dict[str, int]:
    """Writes the loop's demo data for the latest (open) quarter; returns counts by kind."""
    rng = np.random.default_rng(seed + 12)  # the parts below draw from it
    counts: dict[str, int] = {}
    counts |= seed_surveys(rng=rng)
    counts |= seed_conversations(rng=rng)  # feedback, meetings, plans
    counts |= seed_alerts()  # last: they read what the parts above wrote
    _analyze()
    say(", ".join(f"{n} {kind}" for kind, n in counts.items()) or "No feedback loop data.")
    return counts


def _analyze() -> None:
    """Fresh planner statistics for the tables just bulk-written (hundreds of thousands of
    survey answers and ratings at 10,000 partners): without them the first pages plan their
    joins for a few hundred rows (autovacuum would catch up, minutes later)."""
    tables = [
        model._meta.db_table
        for model in (Assessment, AssessmentRating, SurveyResponse, Answer, Alert)
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(tables))
