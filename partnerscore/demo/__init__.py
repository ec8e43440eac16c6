"""The demo world of ../shared/DEMO.md, for `manage.py seed_demo`.

Wiring-level code: it writes into every app, so it lives in the project package, in four parts
that read in order: catalog (the static catalogue), quarters (the calendar), generator (pure:
the world from a seed), writer (into the database).
"""

from typing import Any

from partnerscore.demo.quarters import DemoError, last_completed_quarter

__all__ = ["DemoError", "last_completed_quarter", "seed_demo"]


def __getattr__(name: str) -> Any:
    # seed_demo is imported on first use: an eager import would load the ORM with the package,
    # and the catalogue and the generator must import (and be tested) without Django.
    if name == "seed_demo":
        from partnerscore.demo.writer import seed_demo

        return seed_demo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
