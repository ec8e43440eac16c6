"""Recompute benchmark: the full recompute against bare COPY of the same rows, in one run.

    .venv/bin/python bench/recompute.py [--partners 10000 --kpis 30 --periods 8 --repeat 3]

Builds a fresh database (`partnerscore_bench` on DATABASE_URL's server, else the embedded one),
writes N partners x K KPIs x P quarters of metric values with COPY, then times
  (a) baseline: COPY (SELECT the same input rows) TO STDOUT, plus COPY of the same output rows
      into scratch tables made LIKE the real result tables INCLUDING ALL;
  (b) the full recompute of all P periods (the service the Celery task calls),
and prints figures; the last line is `recompute_vs_copy_ratio=<b/a>` (medians over --repeat).
"""

import argparse
import io
import resource
import statistics
import time

from common import fresh_database  # bench/common.py also puts the project on sys.path

BENCH_DB = "partnerscore_bench"


def build_world(partners: int, kpis: int, periods: int, seed: int) -> list:
    """One partner type, one model of K lines, N partners, P quarters, N*K*P metric values."""
    import numpy as np
    import pandas as pd
    from django.db import connection

    from kpis.models import KPI, ModelLine, Period, ScoringModel, ScoringModelVersion, Tier
    from partners.models import Partner, PartnerType

    rng = np.random.default_rng(seed)
    ptype = PartnerType.objects.create(code="reseller", name="Reseller")
    aggregations = ["sum", "mean", "last", "max"]
    kpi_rows = KPI.objects.bulk_create(
        KPI(
            code=f"k{i:02d}",
            name=f"KPI {i}",
            aggregation=aggregations[i % 4],
            direction="lower" if i % 5 == 4 else "higher",
        )
        for i in range(kpis)
    )
    model = ScoringModel.objects.create(code="m", name="Model", partner_type=ptype)
    version = ScoringModelVersion.objects.create(model=model, number=1, status="active")
    ModelLine.objects.bulk_create(
        ModelLine(
            version=version,
            kpi=k,
            weight=float(1 + i % 7),
            floor=100.0 if k.direction == "lower" else 0.0,
            target=50.0,
            stretch=20.0 if k.direction == "lower" else 80.0,
        )
        for i, k in enumerate(kpi_rows)
    )
    Tier.objects.bulk_create(
        Tier(version=version, name=n, min_score=s)
        for n, s in [("Platinum", 100), ("Gold", 80), ("Silver", 60), ("Registered", 0)]
    )
    Partner.objects.bulk_create(
        Partner(code=f"P{i:06d}", name=f"Partner {i}", partner_type=ptype) for i in range(partners)
    )
    quarters = []
    for q in range(periods):
        year, quarter = 2025 + q // 4, q % 4 + 1
        start = pd.Timestamp(year=year, month=3 * quarter - 2, day=1)
        end = start + pd.offsets.QuarterEnd(0)
        quarters.append(
            Period.objects.create(
                code=f"{year}-Q{quarter}", start=start.date(), end=end.date(), granularity="quarter"
            )
        )
    partner_ids = np.array(Partner.objects.order_by("pk").values_list("pk", flat=True))
    kpi_ids = np.array([k.pk for k in kpi_rows])
    for period in quarters:  # one value per partner, KPI and quarter, ~5 % missing
        frame = pd.DataFrame(
            {
                "partner_id": np.repeat(partner_ids, len(kpi_ids)),
                "kpi_id": np.tile(kpi_ids, len(partner_ids)),
            }
        )
        frame["observed_on"] = period.end.isoformat()
        frame["value"] = rng.normal(50, 20, len(frame)).round(2)
        frame = frame[rng.random(len(frame)) > 0.05]
        frame["updated_at"] = "2026-01-01T00:00:00Z"
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False)
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                "COPY kpis_metricvalue (partner_id, kpi_id, observed_on, value, updated_at) "
                "FROM STDIN WITH (FORMAT csv)",
                buffer,
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE kpis_metricvalue")
    return quarters


def baseline_seconds(quarters: list) -> tuple[float, float]:
    """(COPY of the input rows out, COPY of the output rows into LIKE ... INCLUDING ALL)."""
    from django.db import connection

    with connection.cursor() as cursor:
        raw = cursor.cursor
        started = time.perf_counter()
        for period in quarters:
            sink = io.StringIO()
            raw.copy_expert(
                "COPY (SELECT partner_id, kpi_id, observed_on, value FROM kpis_metricvalue "
                f"WHERE observed_on BETWEEN '{period.start}' AND '{period.end}') TO STDOUT "
                "WITH (FORMAT csv)",
                sink,
            )
        copy_out = time.perf_counter() - started
        dumps = {}
        for table in ("assessments_scorecardline", "assessments_scorecard"):
            dumps[table] = io.StringIO()
            raw.copy_expert(
                f"COPY (SELECT * FROM {table}) TO STDOUT WITH (FORMAT csv)", dumps[table]
            )
        for table in dumps:
            cursor.execute(f"DROP TABLE IF EXISTS scratch_{table}")
            cursor.execute(f"CREATE TABLE scratch_{table} (LIKE {table} INCLUDING ALL)")
        connection.commit() if not connection.get_autocommit() else None
        started = time.perf_counter()
        for table, dump in dumps.items():
            dump.seek(0)
            raw.copy_expert(f"COPY scratch_{table} FROM STDIN WITH (FORMAT csv)", dump)
        copy_in = time.perf_counter() - started
        for table in dumps:
            cursor.execute(f"DROP TABLE scratch_{table}")
    return copy_out, copy_in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--kpis", type=int, default=30)
    parser.add_argument("--periods", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    fresh_database(BENCH_DB)
    import django

    django.setup()
    from django.core.management import call_command

    from assessments.services import scorecard_recompute_partner, scorecards_recompute

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    quarters = build_world(args.partners, args.kpis, args.periods, args.seed)
    print(
        f"built {args.partners} partners x {args.kpis} KPIs x {args.periods} periods "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )

    full, one_period, ratios, incremental = [], [], [], []
    from partners.models import Partner

    some_partners = list(Partner.objects.order_by("pk").values_list("pk", flat=True)[:20])
    for attempt in range(args.repeat):
        started = time.perf_counter()
        for period in quarters:
            t0 = time.perf_counter()
            scorecards_recompute(period_id=period.pk, trigger="bench")
            if period == quarters[-1]:
                one_period.append(time.perf_counter() - t0)
        full.append(time.perf_counter() - started)
        copy_out, copy_in = baseline_seconds(quarters)
        ratios.append(full[-1] / (copy_out + copy_in))
        for partner_id in some_partners[attempt :: args.repeat][:5]:
            t0 = time.perf_counter()
            scorecard_recompute_partner(
                period_id=quarters[-1].pk, partner_id=partner_id, trigger="bench"
            )
            incremental.append(time.perf_counter() - t0)
        print(
            f"run {attempt + 1}: recompute {full[-1]:.2f} s, copy out {copy_out:.2f} s + "
            f"copy in {copy_in:.2f} s -> ratio {ratios[-1]:.2f}; one period "
            f"{one_period[-1]:.2f} s",
            flush=True,
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"partners={args.partners} kpis={args.kpis} periods={args.periods} repeat={args.repeat}")
    print(f"full_recompute_seconds={statistics.median(full):.2f}")
    print(f"one_period_seconds={statistics.median(one_period):.2f}")
    print(f"one_partner_seconds={statistics.median(incremental):.3f}")
    print(f"peak_memory_mb={peak_mb:.0f}")
    print(f"recompute_vs_copy_ratio={statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
