"""What-if benchmark: the preview of a draft version on one period against a real recompute of
that period, in one run.

    .venv/bin/python bench/whatif.py [--partners 10000 --kpis 30 --periods 2 --repeat 3]

Builds a fresh database (`partnerscore_bench_whatif` on DATABASE_URL's server, else the
embedded one) with bench/recompute.py's world, recomputes every period (so the preview has
scorecards to compare with), makes a draft of the model with changed weights, thresholds and
tiers, then times, --repeat times each,
  (a) assessments.whatif.whatif_preview of the draft on the latest period (no cache), and
  (b) assessments.services.scorecards_recompute of that period (what publishing leads to);
then publishes the draft, recomputes and checks that every partner's numbers equal the
preview's (`preview_equals_publish=True`); prints figures; the last line is
`whatif_vs_recompute_ratio=<a/b>` (medians).
"""

import argparse
import statistics
import time

from common import fresh_database  # bench/common.py also puts the project on sys.path
from recompute import build_world

BENCH_DB = "partnerscore_bench_whatif"


def make_draft():
    """The model's next version: a third of the weights doubled, a fifth of the targets
    raised by 10 %, Gold moved up to 85."""
    from kpis.models import ScoringModel
    from kpis.services import version_draft_create

    draft = version_draft_create(model=ScoringModel.objects.get())
    for i, line in enumerate(draft.lines.select_related("kpi").order_by("kpi__code")):
        if i % 3 == 0:
            line.weight *= 2
        if i % 5 == 1:
            line.target *= 0.9 if line.kpi.direction == "lower" else 1.1
        line.save()
    draft.tiers.filter(name="Gold").update(min_score=85)
    return draft


def table_counts() -> dict[str, int]:
    from assessments.models import RecomputeRun, Scorecard, ScorecardLine, TierChange

    return {
        model.__name__: model.objects.count()
        for model in (Scorecard, ScorecardLine, TierChange, RecomputeRun)
    }


def verify(preview, draft, period) -> bool:
    """After the timings: publish the draft, recompute the period, and compare every partner's
    score, status, tier, rank and percentile with the preview (9 decimals)."""
    import pandas as pd

    from assessments.models import Scorecard
    from assessments.services import scorecards_recompute
    from kpis import scoring
    from kpis.services import version_publish

    version_publish(version=draft)
    scorecards_recompute(period_id=period.pk, trigger="bench")
    columns = ["score", "status", "tier", "rank", "percentile"]
    stored = pd.DataFrame.from_records(
        list(Scorecard.objects.filter(period=period).values_list("partner__code", *columns)),
        columns=["code", *columns],
    ).set_index("code")
    got = preview.partners.set_index("code")[columns]
    if sorted(stored.index) != sorted(got.index):
        return False
    stored = stored.loc[got.index]
    for column in columns:
        a, b = stored[column], got[column]
        if column in ("score", "rank", "percentile"):
            a, b = scoring.comparable(a.astype(float)), scoring.comparable(b.astype(float))
        same = (a == b) | (a.isna() & b.isna())
        if not same.all():
            print(f"{column} differs for {int((~same).sum())} partners", flush=True)
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--kpis", type=int, default=30)
    parser.add_argument("--periods", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    fresh_database(BENCH_DB)
    import django

    django.setup()
    from django.core.management import call_command

    from assessments.services import scorecards_recompute
    from assessments.whatif import whatif_preview

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    quarters = build_world(args.partners, args.kpis, args.periods, args.seed)
    for period in quarters:
        scorecards_recompute(period_id=period.pk, trigger="bench")
    draft = make_draft()
    period = quarters[-1]
    print(
        f"built {args.partners} partners x {args.kpis} KPIs x {args.periods} periods and "
        f"recomputed them in {time.perf_counter() - started:.1f} s",
        flush=True,
    )

    whatif, recompute = [], []
    for attempt in range(args.repeat):
        before = table_counts()
        t0 = time.perf_counter()
        preview = whatif_preview(version=draft, period=period)
        whatif.append(time.perf_counter() - t0)
        assert table_counts() == before, "the what-if wrote rows"
        t0 = time.perf_counter()
        scorecards_recompute(period_id=period.pk, trigger="bench")
        recompute.append(time.perf_counter() - t0)
        summary = preview.summary()
        print(
            f"run {attempt + 1}: what-if {whatif[-1]:.2f} s ({summary.partners} partners, "
            f"{summary.ups} up, {summary.downs} down, {summary.to_insufficient} to "
            f"insufficient data), recompute {recompute[-1]:.2f} s",
            flush=True,
        )
    print(f"preview_equals_publish={verify(preview, draft, period)}", flush=True)
    print(f"partners={args.partners} kpis={args.kpis} period={period.code} repeat={args.repeat}")
    print(f"whatif_seconds={statistics.median(whatif):.2f}")
    print(f"recompute_seconds={statistics.median(recompute):.2f}")
    ratio = statistics.median(whatif) / statistics.median(recompute)
    print(f"whatif_vs_recompute_ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
