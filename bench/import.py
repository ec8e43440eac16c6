"""Import benchmark: the project's import path against a bare COPY of the same rows, one run.

    .venv/bin/python bench/import.py [--rows 1000000 --partners 10000 --repeat 3]

Builds a fresh database (`partnerscore_bench_import` on DATABASE_URL's server, else the
embedded one) with partners and KPIs, writes a CSV of N metric-value rows in our import format
(partner_code,kpi_code,observed_on,value), then times
  (a) baseline: COPY of the same rows into a scratch table made
      LIKE kpis_metricvalue INCLUDING ALL (the file's codes resolved to ids beforehand, since
      the table stores ids; resolving is not timed);
  (b) the project's import path (`kpis.imports.metric_values_import`, what `import_metrics`
      and the upload page run) into the real, empty table;
and prints figures; the last line is `import_vs_copy_ratio=<b/a>` (median over --repeat).
"""

import argparse
import io
import resource
import statistics
import tempfile
import time
from pathlib import Path

from common import fresh_database  # bench/common.py also puts the project on sys.path

BENCH_DB = "partnerscore_bench_import"


def build(rows: int, partners: int, kpis: int, seed: int, folder: Path) -> tuple[Path, Path]:
    """Partners and KPIs in the database; the CSV to import and its id-resolved twin."""
    import numpy as np
    import pandas as pd

    from kpis.models import KPI
    from partners.models import Partner, PartnerType

    rng = np.random.default_rng(seed)
    ptype = PartnerType.objects.create(code="reseller", name="Reseller")
    Partner.objects.bulk_create(
        Partner(code=f"P{i:06d}", name=f"Partner {i}", partner_type=ptype) for i in range(partners)
    )
    KPI.objects.bulk_create(KPI(code=f"k{i:02d}", name=f"KPI {i}") for i in range(kpis))
    partner_ids = dict(Partner.objects.values_list("code", "id"))
    kpi_ids = dict(KPI.objects.values_list("code", "id"))
    # distinct (partner, kpi, day) triples: enumerate a grid and sample without replacement
    days = max(1, -(-rows // (partners * kpis)))
    cells = rng.choice(partners * kpis * days, size=rows, replace=False)
    partner_idx, rest = np.divmod(cells, kpis * days)
    kpi_idx, day_idx = np.divmod(rest, days)
    frame = pd.DataFrame(
        {
            "partner_code": np.char.add("P", np.char.zfill(partner_idx.astype(str), 6)),
            "kpi_code": np.char.add("k", np.char.zfill(kpi_idx.astype(str), 2)),
            "observed_on": (
                pd.Timestamp("2026-01-01") + pd.to_timedelta(day_idx * 7, unit="D")
            ).strftime("%Y-%m-%d"),
            "value": rng.lognormal(8, 1.5, rows).round(2),
        }
    )
    source = folder / "metric_values.csv"
    frame.to_csv(source, index=False)
    resolved = folder / "resolved.csv"
    frame.assign(
        partner_id=frame["partner_code"].map(partner_ids),
        kpi_id=frame["kpi_code"].map(kpi_ids),
        updated_at="2026-11-25T00:00:00Z",
    )[["partner_id", "kpi_id", "observed_on", "value", "updated_at"]].to_csv(
        resolved, index=False, header=False
    )
    return source, resolved


def baseline_seconds(resolved: Path) -> float:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS scratch_metricvalue")
        cursor.execute("CREATE TABLE scratch_metricvalue (LIKE kpis_metricvalue INCLUDING ALL)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, resolved.open() as fh:
        cursor.cursor.copy_expert(
            "COPY scratch_metricvalue (partner_id, kpi_id, observed_on, value, updated_at) "
            "FROM STDIN WITH (FORMAT csv)",
            fh,
        )
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE scratch_metricvalue")
    return seconds


def import_seconds(source: Path) -> tuple[float, int]:
    from django.db import connection

    from kpis.imports import metric_values_import

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE kpis_metricvalue")
    started = time.perf_counter()
    with source.open("rb") as stream:
        result = metric_values_import(stream)
    return time.perf_counter() - started, result.written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--kpis", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    fresh_database(BENCH_DB)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as tmp:
        source, resolved = build(args.rows, args.partners, args.kpis, args.seed, Path(tmp))
        size_mb = source.stat().st_size / 2**20
        print(f"{args.rows:,} rows, {size_mb:.0f} MB of CSV", flush=True)
        ratios, ours, copies = [], [], []
        for attempt in range(args.repeat):
            copy = baseline_seconds(resolved)
            mine, written = import_seconds(source)
            assert written == args.rows, (written, args.rows)
            ratios.append(mine / copy)
            ours.append(mine)
            copies.append(copy)
            print(
                f"run {attempt + 1}: import {mine:.2f} s, bare COPY {copy:.2f} s -> "
                f"ratio {ratios[-1]:.2f}",
                flush=True,
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows={args.rows} repeat={args.repeat}")
    print(f"import_seconds={statistics.median(ours):.2f}")
    print(f"copy_seconds={statistics.median(copies):.2f}")
    print(f"peak_memory_mb={peak_mb:.0f}")
    print(f"import_vs_copy_ratio={statistics.median(ratios):.2f}")


if __name__ == "__main__":
    io.DEFAULT_BUFFER_SIZE = 1 << 16
    main()
