"""The demo's quarterly assessments (issue 12): a channel manager's 1-5 ratings of every partner
on its model's qualitative KPIs, every quarter since it joined.

Pure (numpy + pandas, no Django) and drawn from a generator of its own, so the metric values of
the same seed stay exactly as they were. A rating follows the partner's latent quality (the
generator's), its own persistent strengths per criterion and a little of the quarter's mood,
so good partners are rated well and the qualitative story matches the numbers.

Closed quarters are reviewed to the end (submitted or acknowledged); the latest quarter, still
open, is a lively mix: most submitted, some shared or acknowledged, some drafts (partly rated)
and some not started."""

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from partnerscore.demo.catalog import KPI_CATALOG, MODEL_LINES
from partnerscore.demo.quarters import Calendar, day_numbers

QUALITY, TRAIT, MOOD = 0.6, 0.75, 0.25  # the latent's parts (unit variance in all, roughly)
# Share of ratings at or below 1, 2, 3, 4: most partners are rated 3-4, few 1 or 5.
CUTS = [NormalDist().inv_cdf(p) for p in (0.05, 0.20, 0.55, 0.87)]
LATEST_MIX = (  # the open quarter's statuses (None: not started)
    ("submitted", 0.55),
    ("shared", 0.10),
    ("acknowledged", 0.08),
    ("draft", 0.12),
    (None, 0.15),
)
CLOSED_MIX = (("acknowledged", 0.75), ("submitted", 0.25))
DRAFT_UNRATED = 0.4  # share of a draft's criteria not rated yet

QUALITATIVE = {spec.code for spec in KPI_CATALOG if spec.source == "assessment"}
COMMENTS = {
    1: ("Needs urgent attention.", "Far below what we agreed.", "Escalated to the partner."),
    2: ("Below expectations this quarter.", "Some progress, not enough.", "Agreed to follow up."),
    3: ("On par with most partners.", "Steady, room to grow.", "Meets the basics."),
    4: ("Good quarter.", "Clear progress since last review.", "Reliable and engaged."),
    5: ("Outstanding.", "A reference for other partners.", "Exceeded every expectation."),
}
SUMMARIES = (
    "A difficult quarter: we agreed on a recovery plan and meet again in four weeks.",
    "Mixed picture: the basics are there, execution needs to become more consistent.",
    "A solid quarter overall, with clear next steps for growth.",
    "A strong quarter: keep the momentum and widen the joint pipeline.",
)
RESPONSES = (
    "Thanks for the feedback, agreed on the next steps.",
    "We see it the same way; the plan for next quarter is in motion.",
    "Fair assessment. We would like to discuss the marketing rating at the next QBR.",
    "",
)


@dataclass(frozen=True)
class DemoReviews:
    # partner (row of the roster), quarter (index into the calendar), status, summary, response
    assessments: pd.DataFrame
    # partner, quarter, kpi (code), rating (float, NaN: not rated yet), comment
    ratings: pd.DataFrame


def type_criteria(type_code: str) -> list[str]:
    """The qualitative KPIs of a partner type's model, in the model's order."""
    return [line[0] for line in MODEL_LINES.get(type_code, ()) if line[0] in QUALITATIVE]


def _statuses(rng: np.random.Generator, n: int, mix: tuple) -> np.ndarray:
    labels = np.array([label or "" for label, _ in mix], dtype=object)
    return labels[rng.choice(len(mix), size=n, p=[share for _, share in mix])]


def generate_reviews(
    *,
    quality: np.ndarray,
    types: np.ndarray,
    joined: np.ndarray,
    cal: Calendar,
    seed: int,
    latest_status: dict[int, str] | None = None,
) -> DemoReviews:
    """`quality` (partners, quarters), `types` and `joined` (day numbers) of the roster;
    `latest_status` fixes the open quarter's status of some partners (roster rows): the
    personas' portals show a shared assessment to acknowledge."""
    rng = np.random.default_rng(seed + 4242)
    partners, quarters = quality.shape
    ends = day_numbers(cal.ends)
    latest = quarters - 1
    frames, heads = [], []
    for type_code in np.unique(types):
        criteria = type_criteria(str(type_code))
        members = np.flatnonzero(types == type_code)
        if not criteria or not members.size:
            continue
        trait = rng.standard_normal((members.size, 1, len(criteria)))
        mood = rng.standard_normal((members.size, quarters, len(criteria)))
        latent = QUALITY * quality[members][:, :, None] + TRAIT * trait + MOOD * mood
        rating = 1.0 + np.searchsorted(CUTS, latent)  # (members, quarters, criteria), 1-5
        partner = np.repeat(members, quarters * len(criteria))
        quarter = np.tile(np.repeat(np.arange(quarters), len(criteria)), members.size)
        kpi = np.tile(np.array(criteria, dtype=object), members.size * quarters)
        frames.append(pd.DataFrame({"partner": partner, "quarter": quarter, "kpi": kpi,
                                    "rating": rating.ravel()}))  # fmt: skip
        grid = np.stack(np.meshgrid(members, np.arange(quarters), indexing="ij"), -1)
        heads.append(pd.DataFrame(grid.reshape(-1, 2), columns=["partner", "quarter"]))
    if not heads:
        empty = pd.DataFrame(columns=["partner", "quarter"])
        return DemoReviews(empty.assign(status="", summary="", response=""), empty)
    head = pd.concat(heads, ignore_index=True).sort_values(["quarter", "partner"])
    head = head[ends[head["quarter"].to_numpy()] >= joined[head["partner"].to_numpy()]]
    is_latest = head["quarter"].to_numpy() == latest
    status = np.where(
        is_latest,
        _statuses(rng, len(head), LATEST_MIX),
        _statuses(rng, len(head), CLOSED_MIX),
    )
    for row, fixed in (latest_status or {}).items():
        status[is_latest & (head["partner"].to_numpy() == row)] = fixed
    head = head.assign(status=status)
    head = head[head["status"] != ""].reset_index(drop=True)
    ratings = pd.concat(frames, ignore_index=True)
    ratings = ratings.merge(head[["partner", "quarter", "status"]], on=["partner", "quarter"])
    unrated = (ratings["status"] == "draft").to_numpy() & (rng.random(len(ratings)) < DRAFT_UNRATED)
    ratings.loc[unrated, "rating"] = np.nan
    pick = rng.integers(0, 3, len(ratings))
    level = ratings["rating"].fillna(0).astype(int).to_numpy()
    ratings["comment"] = [COMMENTS[lv][i] if lv else "" for lv, i in zip(level, pick, strict=True)]
    mean = ratings.groupby(["partner", "quarter"])["rating"].mean()
    by_head = mean.reindex(pd.MultiIndex.from_frame(head[["partner", "quarter"]])).to_numpy()
    band = np.clip(np.nan_to_num(by_head, nan=3.0) - 1.5, 0, 3).astype(int)
    head["summary"] = np.where(
        head["status"] == "draft", "", np.array(SUMMARIES, dtype=object)[band]
    )
    answered = rng.integers(0, len(RESPONSES), len(head))
    head["response"] = np.where(
        head["status"] == "acknowledged", np.array(RESPONSES, dtype=object)[answered], ""
    )
    return DemoReviews(head, ratings.drop(columns="status"))
