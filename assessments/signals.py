"""Signals assessments sends, so apps to its right (feedback) can react to its work without
assessments importing them (the layering of STYLE.md: a documented seam, never an import).

`scorecards_recomputed`: a recompute run succeeded and its transaction committed. Sent once
per run, after commit, with keyword arguments
    period_id (int), partner_id (int | None: None when the whole period was recomputed),
    run_id (int: the RecomputeRun).
Sent with `send_robust`: a failing receiver is logged and never fails the recompute.
Receivers should only enqueue work (ids only): the recompute waits for them.
"""

from django.dispatch import Signal

scorecards_recomputed = Signal()
