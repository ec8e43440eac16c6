"""python manage.py seed_demo --partners 300 --periods 8 --seed 42 [--last-quarter 2026-Q3]"""

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from partnerscore.demo import DemoError, last_completed_quarter, seed_demo


class Command(BaseCommand):
    help = (
        "Fill an empty database with the demo world of DEMO.md: partner types, KPIs, scoring "
        "models, regions, channel managers, partners, quarterly periods and metric values; "
        "then every quarter's scorecards, all quarters but the latest closed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--partners", type=int, default=300, help="How many (default 300).")
        parser.add_argument("--periods", type=int, default=8, help="Quarters (default 8).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--last-quarter",
            help="The newest quarter, e.g. 2026-Q3 (default: the last completed quarter).",
        )
        parser.add_argument(
            "--no-users", action="store_true", help="Skip the admin/manager/partner logins."
        )
        parser.add_argument(
            "--no-scorecards",
            action="store_true",
            help="Write the data only: no scorecards computed, every quarter left open "
            "(default: compute every quarter, then close all but the latest).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        last_quarter = options["last_quarter"] or last_completed_quarter(timezone.localdate())
        started = time.monotonic()

        def progress(line: str) -> None:
            self.stdout.write(f"{time.monotonic() - started:6.1f} s  {line}")

        try:
            counts = seed_demo(
                partners=options["partners"],
                periods=options["periods"],
                seed=options["seed"],
                last_quarter=last_quarter,
                with_users=not options["no_users"],
                scorecards=not options["no_scorecards"],
                progress=progress,
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{name} {count}" for name, count in counts.items())
        progress(self.style.SUCCESS(f"Seeded up to {last_quarter}: {summary}."))
