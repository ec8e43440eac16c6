"""Page benchmark: server time of the manager's pages at full size, against a trivial view.

    .venv/bin/python bench/pages.py [--partners 10000 --kpis 30 --periods 8 --repeat 50]

Builds a fresh database (`partnerscore_bench_pages` on DATABASE_URL's server, else the
embedded one) with bench/recompute.py's world (N partners x K KPIs x P quarters of metric
values, by COPY), spread over 4 partner types (each its own model and tiers; one type's Silver
threshold differs), 5 regions and 20 channel managers, runs the full recompute, then requests
each page --repeat times as a logged-in manager through Django's test Client (the whole
middleware stack, no network): the portfolio (default, filtered by type and region, sorted by
trend), a scorecard, the compare and the tier migration pages, and a trivial view mounted
only in this process. Each page is requested once before timing (aggregates are cached per
recompute). Prints p50/p95 and the SQL query count per page (a page whose URL is not routed
yet is `missing`, left out of the worst figure), the worst p95 over the trivial view's,
`first_load_kb=<n>`: what a first visit of the portfolio transfers compressed (the HTML
gzipped, plus every script and stylesheet it references as WhiteNoise serves them: their .br
files from collectstatic), and last `pages_p95_ms=<worst>`.
"""

import argparse
import gzip
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from common import fresh_database  # bench/common.py also puts the project on sys.path

BENCH_DB = "partnerscore_bench_pages"
# (code, name, tiers): each type its own model version; "msp" draws Silver at 55, not 60.
TYPES = [
    ("distributor", "Distributor", [("Gold", 80), ("Silver", 60), ("Registered", 0)]),
    ("msp", "MSP", [("Gold", 85), ("Silver", 55), ("Registered", 0)]),
    ("referral", "Referral partner", [("Gold", 80), ("Silver", 60), ("Registered", 0)]),
]
REGIONS = ["emea", "north-america", "latam", "apac", "anz"]
MANAGERS = 20


def spread_world(seed_type_code: str = "reseller") -> None:
    """bench/recompute.py's world has one partner type: add three more (models copied from
    the first, weights rotated, their own tiers), regions and managers, and deal the partners
    out over them (type by id mod 4, region by id / 4 mod 5, manager by id mod 20)."""
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from kpis.models import ModelLine, ScoringModel, ScoringModelVersion, Tier
    from partners.access import MANAGERS_GROUP
    from partners.models import ManagerProfile, PartnerType, Region

    base = ScoringModelVersion.objects.get(model__partner_type__code=seed_type_code)
    lines = list(base.lines.order_by("kpi_id"))
    type_ids = [base.model.partner_type_id]
    for shift, (code, name, tiers) in enumerate(TYPES, start=1):
        ptype = PartnerType.objects.create(code=code, name=name)
        model = ScoringModel.objects.create(code=f"m-{code}", name=name, partner_type=ptype)
        version = ScoringModelVersion.objects.create(model=model, number=1, status="active")
        ModelLine.objects.bulk_create(
            ModelLine(
                version=version,
                kpi_id=line.kpi_id,
                weight=lines[(i + shift) % len(lines)].weight,
                floor=line.floor,
                target=line.target,
                stretch=line.stretch,
            )
            for i, line in enumerate(lines)
        )
        Tier.objects.bulk_create(Tier(version=version, name=n, min_score=s) for n, s in tiers)
        type_ids.append(ptype.pk)
    region_ids = [Region.objects.create(code=c, name=c.upper()).pk for c in REGIONS]
    group, _ = Group.objects.get_or_create(name=MANAGERS_GROUP)
    managers = User.objects.bulk_create(User(username=f"manager{i:02d}") for i in range(MANAGERS))
    group.user_set.add(*managers)
    # manager00, who requests the pages, sees every partner (partners.access)
    ManagerProfile.objects.create(user=managers[0], sees_all_partners=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE partners_partner SET partner_type_id = (%s::bigint[])[id %% 4 + 1], "
            "region_id = (%s::bigint[])[(id / 4) %% 5 + 1], "
            "manager_id = (%s::int[])[id %% 20 + 1]",
            [type_ids, region_ids, [m.pk for m in managers]],
        )
        cursor.execute("VACUUM ANALYZE partners_partner")


def collect_static() -> Path:
    """The fingerprinted, compressed files the pages reference (collectstatic when stale)."""
    from django.conf import settings
    from django.core.management import call_command

    from partnerscore.staticfiles import collection_stale

    if collection_stale():
        print("collecting static files...", flush=True)
        call_command("collectstatic", "--no-input", "--clear", verbosity=0)
    return Path(settings.STATIC_ROOT)


def mount_trivial_view() -> str:
    """A view answering "ok" to a signed-in user, through the same middleware as the pages
    (so it pays the session and user look-ups every page pays too), in this process only."""
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    from partnerscore import urls

    urls.urlpatterns.append(path("bench/ok/", login_required(lambda request: HttpResponse("ok"))))
    clear_url_caches()
    return "/bench/ok/"


def pages_to_time(quarters: list) -> dict[str, str]:
    from assessments.models import Scorecard

    last, previous = quarters[-1], quarters[-2]
    scored = Scorecard.objects.filter(period=last, status="ok", partner_type__code="msp")
    codes = list(scored.order_by("partner__code").values_list("partner__code", flat=True))
    middle = codes[len(codes) // 2 : len(codes) // 2 + 3]
    return {
        "portfolio": "/portfolio/",
        "portfolio_filtered": "/portfolio/?partner_type=msp&region=emea",
        "portfolio_sorted": "/portfolio/?ordering=trend",
        "scorecard": f"/partners/{middle[0]}/",
        "compare": "/compare/?" + "&".join(f"partners={code}" for code in middle),
        "migration": f"/portfolio/migration/?period={last.code}&from={previous.code}",
        "assessments": f"/assessments/?period={last.code}",
        "assessments_filtered": f"/assessments/?period={last.code}&status=not_started&page=3",
        "assessment": f"/partners/{middle[0]}/assessment/?period={last.code}",
    }


def page_exists(url: str) -> bool:
    """Whether the URL's path is routed (a 404 from a routed page is a bug, not a missing
    page: a bad period code, say)."""
    from django.urls import Resolver404, resolve

    try:
        resolve(urlsplit(url).path)
    except Resolver404:
        return False
    return True


def time_page(client, url: str, repeat: int) -> tuple[int, int, list[float]]:
    """(status, queries, milliseconds per request): one warming request counts the queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    queries = len(captured)  # now: the next request clears the connection's query log
    if status != 200:
        return status, queries, []
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return status, queries, times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def first_load_bytes(html: str, static_root: Path) -> tuple[int, list[tuple[str, int]]]:
    """The HTML gzipped plus each referenced script and stylesheet as WhiteNoise serves it
    (its .br file, else .gz, else as is): (total, [(name, bytes)])."""
    from django.conf import settings

    raw = html.encode()
    parts = [(f"page ({len(raw) / 1024:.0f} kB HTML, gzip)", len(gzip.compress(raw, 6)))]
    tags = re.findall(r"<script\b[^>]*>|<link\b[^>]*>", html)
    urls = [
        m.group(1)
        for tag in tags
        if tag.startswith("<script") or 'rel="stylesheet"' in tag
        for m in [re.search(r'(?:src|href)="([^"]+)"', tag)]
        if m
    ]
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    for url in urls:
        if not url.startswith(prefix):
            raise SystemExit(f"the portfolio references {url}, not one of our static files")
        path = static_root / url[len(prefix) :]
        served = next(p for p in (Path(f"{path}.br"), Path(f"{path}.gz"), path) if p.exists())
        parts.append((served.name, served.stat().st_size))
    return sum(size for _, size in parts), parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--kpis", type=int, default=30)
    parser.add_argument("--periods", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.periods < 2 or args.partners < 40:
        parser.error("needs --periods >= 2 (migration) and --partners >= 40 (four types)")

    os.environ.setdefault("STATIC_FILES", "collected")  # as served in run and production
    fresh_database(BENCH_DB)
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from recompute import build_world

    from assessments.services import scorecards_recompute

    static_root = collect_static()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    quarters = build_world(args.partners, args.kpis, args.periods, args.seed)
    spread_world()
    print(
        f"built {args.partners} partners x {args.kpis} KPIs x {args.periods} periods, "
        f"{len(TYPES) + 1} types, {len(REGIONS)} regions, {MANAGERS} managers "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    started = time.perf_counter()
    for period in quarters:
        scorecards_recompute(period_id=period.pk, trigger="bench")
    print(f"recomputed {args.periods} periods in {time.perf_counter() - started:.1f} s")

    client = Client()
    client.force_login(User.objects.get(username="manager00"))
    pages = {"trivial": mount_trivial_view(), **pages_to_time(quarters)}
    results = {}
    for name, url in pages.items():
        status, queries, times = time_page(client, url, args.repeat)
        if status == 404 and not page_exists(url):
            print(f"{name:<20} missing (no such URL yet: {url})", flush=True)
            continue
        if status != 200:
            raise SystemExit(f"{name}: {url} answered {status}")
        results[name] = (statistics.median(times), p95(times), queries)
        print(
            f"{name:<20} p50={results[name][0]:7.1f} ms  p95={results[name][1]:7.1f} ms  "
            f"queries={queries:3d}  {url}",
            flush=True,
        )
    trivial_p95 = results.pop("trivial")[1]
    worst_name, (_, worst, _) = max(results.items(), key=lambda item: item[1][1])
    print(f"worst page: {worst_name}; worst_p95_vs_trivial={worst / trivial_p95:.1f}")
    print(f"max_queries={max(q for _, _, q in results.values())}")
    total, parts = first_load_bytes(client.get(pages["portfolio"]).content.decode(), static_root)
    print("first load of the portfolio: " + ", ".join(f"{n} {b / 1024:.0f} kB" for n, b in parts))
    print(f"first_load_kb={total / 1024:.0f}")
    print(f"pages_p95_ms={worst:.1f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
