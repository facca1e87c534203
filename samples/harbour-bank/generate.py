#!/usr/bin/env python3
"""Generate the Harbour Bank sample data set for cxreport.

Harbour Bank is a fictional retail bank in a coastal city. This script builds
a realistic, entirely synthetic customer-experience survey for it, a small
competitor survey and a desk-research benchmark table, plus a simple wordmark
logo, so that cxreport has something to show end to end.

Outputs (paths are relative to this script, so it runs from any folder):

    data/responses.csv                         full sample, eight quarters
    data/competitor_survey.csv                 five brands rated, one row per
                                               respondent and brand
    data/competitor_table.csv                  syndicated / desk-research
                                               figures per brand and metric
    brand/logo.png                             wordmark, transparent PNG
    data/cases.csv                             case log: contacts and complaints
                                               with their response times
    data/customers.csv                         the customer base, one row per
                                               customer: recency, frequency,
                                               revenue, tenure, value tier,
                                               closed account
    ../../templates/starter/data/responses.csv small starter set for `cxreport init`

Everything is seeded, so re-running the script reproduces the files byte for
byte. The only dependencies are numpy, pandas and matplotlib.

How the data are built
----------------------
Each respondent gets a latent "general satisfaction" score. Their nine
attribute ratings are noisy readings of that latent score plus effects
specific to the attribute (North branches are slow, the App improves in the
second year, ...). Likelihood to recommend (NPS), satisfaction (CSAT) and
ease (CES) are then weighted combinations of the attributes, so key-driver
analysis recovers the intended drivers (resolution, staff knowledge and
waiting time matter most; fees and clarity matter least).

The survey runs for two fieldwork years, 1 October 2024 to 30 September
2026. The patterns a report should find:

* North is weak on waiting time, which pulls its NPS and CSAT down, and its
  customers complain about queues.
* The App is flat and weak through the first year; a series of releases then
  lifts App NPS and digital ratings steadily through the second year. The
  other channels are flat, so overall NPS is a few points higher in the
  second year and 2026 Q3 is well up on 2025 Q3.
* Phone is the hardest channel to deal with (lowest CES).
* A few branches have small bases (per year).
* Two branches have a story for the year-on-year view: Esplanade was
  refurbished in spring and summer 2025 (one till, long queues) and has
  recovered since; Eastbank lost experienced staff in summer 2026 and
  slipped.

The competitor survey puts Harbour Bank mid-pack (third of five on NPS):
Quay Digital (a digital challenger) leads on NPS and effort, Coastline
Building Society on satisfaction, and Northern Trust Bank trails on
everything. The benchmark table tells the same story from a syndicated
monitor (NPS, CSAT top-2 with bases) and published ACSI-style indices
(no bases).

Two patterns for the voice-of-the-customer and customer-value sections
(issue 16), each drawn from its own seeded generator after everything else,
so the scores and every other column are exactly as before:

* An emerging complaint in 2026 Q3 (the report's window): the new
  contactless cards keep being declined ("contactless ... declined", in
  seven phrasings). It is appended to about 4 % of the quarter's comments
  (mostly detractors and passives, more often on the Payments and Card
  services touchpoints) and written alone by about 6 % of the quarter's
  detractors and passives who left no comment otherwise: about 6 % of
  2026 Q3's comments, against 0-5 comments a quarter before. None of its
  words is in the code frame, so the report should list "contactless"
  first among the suggested themes and flag it as emerging in 2026 Q3
  against 2026 Q2.
* The customer file: every respondent but 2.5 % (new accounts not yet in
  the extract; the report counts them apart) plus twice as many customers
  who did not answer, about 38,700 rows. Revenue is long-tailed: the top
  20 % of customers bring about 70 % of it. Promoters transact about twice
  as often as detractors and close their accounts far less often (about 4 %
  of promoters, 7 % of passives, 18 % of detractors). Affluent and small
  business customers are worth more, and satisfied passives (CSAT 4-5,
  NPS 7-8) are worth more than most: in 2026 Q3 about a third of the top
  value tier is satisfied but not a promoter, against a fifth of the rest.

Real files are messy, so the data also contain "don't know" codes (99),
blanks, a handful of invalid entries, three double submissions and a few
comments in which customers typed personal details. All such details use
reserved example data only (example.com addresses, Ofcom drama numbers
07700 900xxx, published test card numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless and deterministic

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent

NAVY = "#0B3C5D"
TEAL = "#1C8C8C"


# ---------------------------------------------------------------------------
# What gets generated
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One output file and the knobs that differ between outputs."""

    seed: int
    n_unique: int  # respondents before double submissions are added
    start: str  # first fieldwork day (inclusive)
    end: str  # last fieldwork day (inclusive)
    growth: float  # rise in response volume per quarter (share of the first)
    n_duplicates: int  # double submissions (a later row repeats a resp_id)
    invalid_values: tuple[tuple[str, str], ...]  # (column, bad value) pairs
    n_pii: int  # comments in which the customer typed personal data
    out: Path
    emerging: bool = False  # plant the contactless complaint of 2026 Q3


FULL = Spec(
    seed=3253,
    n_unique=13000,
    start="2024-10-01",
    end="2026-09-30",
    growth=0.015,
    n_duplicates=3,
    invalid_values=(
        ("q_nps", "11"),
        ("q_nps", "11"),
        ("q_nps", "n/a"),
        ("q_nps", "ten"),
        ("q_csat", "6"),
        ("q_csat", "7"),
        ("q_csat", "7"),
    ),
    n_pii=10,
    out=HERE / "data" / "responses.csv",
    emerging=True,
)

STARTER = Spec(
    seed=20260401,
    n_unique=299,
    start="2026-01-01",
    end="2026-06-30",
    growth=0.05,
    n_duplicates=1,
    invalid_values=(("q_nps", "11"), ("q_csat", "6")),
    n_pii=2,
    out=REPO_ROOT / "templates" / "starter" / "data" / "responses.csv",
)

LOGO = HERE / "brand" / "logo.png"
COMPETITOR_SURVEY = HERE / "data" / "competitor_survey.csv"
COMPETITOR_TABLE = HERE / "data" / "competitor_table.csv"

# The programme clock: 0 on 1 Oct 2025 (when the App releases began), 1 on
# 30 Sep 2026, negative in the first fieldwork year. All samples share it so
# their trends are consistent.
CLOCK_START = "2025-10-01"

# Responses in a typical fieldwork year; branch sizes are set relative to it.
YEAR_VOLUME = 6500


# ---------------------------------------------------------------------------
# Survey structure
# ---------------------------------------------------------------------------

COLUMNS = [
    "resp_id", "response_date", "region", "branch", "channel",
    "journey_stage", "touchpoint", "customer_segment",
    "q_nps", "q_csat", "q_ces",
    "a_wait", "a_staff", "a_friendly", "a_resolve", "a_clarity",
    "a_fees", "a_digital", "a_trust", "a_speed",
    "comment", "weight",
]

# Six branches per region; each branch belongs to exactly one region.
BRANCHES = {
    "North": ["Quayside", "Northgate", "Harbour Point", "Lighthouse Road",
              "Fishergate", "Cliff Top"],
    "South": ["Old Town", "Marina", "Esplanade", "Southsea Parade",
              "Pier Street", "Saltmarsh"],
    "East": ["Dockside", "Eastbank", "Shipyard", "Breakwater", "Seaview",
             "Ferry Terminal"],
    "West": ["Westcliff", "Anchor Square", "Customs House", "Bayside",
             "Riverside", "Market Cross"],
}
REGION_OF = {b: r for r, bs in BRANCHES.items() for b in bs}
ALL_BRANCHES = [b for bs in BRANCHES.values() for b in bs]

# Branches with small bases: expected responses in a fieldwork year
# (YEAR_VOLUME responses).
SMALL_BRANCHES = {"Saltmarsh": (36, 45), "Ferry Terminal": (36, 45),
                  "Market Cross": (21, 25)}

REGIONS = list(BRANCHES)
CHANNELS = ["Branch", "Phone", "App", "Web"]
SEGMENTS = ["Mass market", "Affluent", "Small business"]

STAGES = {
    "Onboarding": {"Account opening": 0.6, "Identity check": 0.4},
    "Everyday banking": {"Payments": 0.5, "Card services": 0.3,
                         "Statements": 0.2},
    "Borrowing": {"Loan application": 0.6, "Mortgage advice": 0.4},
    "Getting help": {"Complaint handling": 0.55, "Fraud support": 0.45},
}

# Segment mix of the responding sample, by region (South has the marina
# money, East the docks and small firms).
SEGMENT_MIX = {
    "North": [0.72, 0.12, 0.16],
    "South": [0.58, 0.30, 0.12],
    "East": [0.64, 0.14, 0.22],
    "West": [0.70, 0.18, 0.12],
}

# Population shares (region x segment) that the survey weights restore.
# Affluent customers answer surveys far more readily than the rest, so they
# are weighted down; small businesses are weighted up.
POPULATION = {
    "North": [0.240, 0.024, 0.072],
    "South": [0.150, 0.046, 0.040],
    "East": [0.150, 0.021, 0.077],
    "West": [0.160, 0.022, 0.062],
}

# Channel of the rated interaction, by segment (Branch, Phone, App, Web).
CHANNEL_MIX = {
    "Mass market": [0.27, 0.20, 0.38, 0.15],
    "Affluent": [0.30, 0.32, 0.25, 0.13],
    "Small business": [0.36, 0.20, 0.16, 0.28],
}

# Journey stage, by channel (Onboarding, Everyday, Borrowing, Getting help).
STAGE_MIX = {
    "Branch": [0.18, 0.36, 0.24, 0.22],
    "Phone": [0.08, 0.30, 0.17, 0.45],
    "App": [0.14, 0.66, 0.08, 0.12],
    "Web": [0.22, 0.46, 0.16, 0.16],
}

ATTRIBUTES = ["a_wait", "a_staff", "a_friendly", "a_resolve", "a_clarity",
              "a_fees", "a_digital", "a_trust", "a_speed"]

# Attribute model: rating* = mean + loading * latent + specific effects + noise
ATTR_MEAN = {"a_wait": 3.85, "a_staff": 4.05, "a_friendly": 4.25,
             "a_resolve": 3.85, "a_clarity": 3.85, "a_fees": 3.25,
             "a_digital": 3.85, "a_trust": 4.15, "a_speed": 3.75}
ATTR_LOADING = {"a_wait": 0.55, "a_staff": 0.65, "a_friendly": 0.55,
                "a_resolve": 0.75, "a_clarity": 0.45, "a_fees": 0.35,
                "a_digital": 0.50, "a_trust": 0.50, "a_speed": 0.60}
ATTR_NOISE = 0.65

# How much each attribute moves the three headline questions. Resolution,
# staff knowledge and waiting time are the big NPS drivers; fees and clarity
# barely move it. Digital only matters to App/Web users (handled below).
NPS_WEIGHT = {"a_wait": 0.65, "a_staff": 0.65, "a_friendly": 0.20,
              "a_resolve": 0.80, "a_clarity": 0.08, "a_fees": 0.08,
              "a_digital": 0.05, "a_trust": 0.20, "a_speed": 0.25}
CSAT_WEIGHT = {"a_wait": 0.28, "a_staff": 0.22, "a_friendly": 0.10,
               "a_resolve": 0.30, "a_clarity": 0.08, "a_fees": 0.06,
               "a_digital": 0.03, "a_trust": 0.08, "a_speed": 0.12}
CES_WEIGHT = {"a_wait": 0.45, "a_staff": 0.10, "a_friendly": 0.00,
              "a_resolve": 0.45, "a_clarity": 0.25, "a_fees": 0.00,
              "a_digital": 0.05, "a_trust": 0.00, "a_speed": 0.40}

# Share of "did not use / not applicable" (coded 0), by channel.
NOT_APPLICABLE = {
    "a_wait": {"Branch": 0.02, "Phone": 0.03, "App": 0.45, "Web": 0.50},
    "a_staff": {"Branch": 0.01, "Phone": 0.02, "App": 0.55, "Web": 0.60},
    "a_friendly": {"Branch": 0.01, "Phone": 0.02, "App": 0.55, "Web": 0.60},
    "a_resolve": {"Branch": 0.12, "Phone": 0.08, "App": 0.15, "Web": 0.15},
    "a_clarity": {"Branch": 0.03, "Phone": 0.03, "App": 0.03, "Web": 0.03},
    "a_fees": {"Branch": 0.06, "Phone": 0.06, "App": 0.06, "Web": 0.06},
    "a_digital": {"Branch": 0.62, "Phone": 0.55, "App": 0.00, "Web": 0.02},
    "a_trust": {"Branch": 0.02, "Phone": 0.02, "App": 0.02, "Web": 0.02},
    "a_speed": {"Branch": 0.03, "Phone": 0.03, "App": 0.03, "Web": 0.03},
}

RATING_COLUMNS = ["q_nps", "q_csat", "q_ces"] + ATTRIBUTES
BLANK_RATE = 0.02  # item non-response on each rating
DONT_KNOW_RATE = 0.01  # 99 = "don't know" on q_csat and q_ces


# ---------------------------------------------------------------------------
# Sampling the structure: branch, date, segment, channel, journey
# ---------------------------------------------------------------------------


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split `total` into integer counts proportional to `weights`
    (largest-remainder method, so the counts add up exactly)."""
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    short = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


def branch_counts(rng: np.random.Generator, n: int) -> dict[str, int]:
    """Responses per branch in one fieldwork year: most branches similar, a
    few small ones."""
    # Weights are relative to a typical branch in a full fieldwork year, so
    # the small branches land in their target ranges there and stay small in
    # proportion in any smaller sample.
    small_total = sum((lo + hi) / 2 for lo, hi in SMALL_BRANCHES.values())
    n_typical = len(ALL_BRANCHES) - len(SMALL_BRANCHES)
    typical = (YEAR_VOLUME - small_total) / n_typical
    weights = rng.uniform(0.86, 1.14, size=len(ALL_BRANCHES))
    for i, branch in enumerate(ALL_BRANCHES):
        if branch in SMALL_BRANCHES:
            lo, hi = SMALL_BRANCHES[branch]
            weights[i] = rng.uniform(lo, hi) / typical
    return dict(zip(ALL_BRANCHES, allocate(n, weights)))


def day_weights(spec: Spec) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Fieldwork days and their relative response volumes: slightly more
    responses each quarter, and fewer at weekends."""
    days = pd.date_range(spec.start, spec.end, freq="D")
    quarter = days.to_period("Q")
    q_index = pd.factorize(quarter)[0]
    per_quarter = 1.0 + spec.growth * q_index  # gentle growth in volume
    days_in_q = pd.Series(q_index).map(pd.Series(q_index).value_counts())
    weekday = np.where(days.day_of_week == 6, 0.55,
                       np.where(days.day_of_week == 5, 0.80, 1.0))
    return days, per_quarter / days_in_q.to_numpy() * weekday


def fieldwork_years(days: pd.DatetimeIndex) -> list[np.ndarray]:
    """Masks over `days` for consecutive twelve-month blocks from the first
    day (the last block may be shorter)."""
    masks, first = [], days[0]
    while first <= days[-1]:
        nxt = first + pd.DateOffset(years=1)
        masks.append(np.asarray((days >= first) & (days < nxt)))
        first = nxt
    return masks


def choose(rng: np.random.Generator, options: list[str],
           probs: np.ndarray) -> np.ndarray:
    """Vectorised categorical draw: one option per row of `probs`."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    idx = (rng.random(len(probs))[:, None] > cum).sum(axis=1)
    return np.asarray(options, dtype=object)[np.minimum(idx, len(options) - 1)]


def build_frame(rng: np.random.Generator, spec: Spec) -> pd.DataFrame:
    """Who answered, when, where, and about which interaction."""
    n = spec.n_unique
    # Branch sizes are set per fieldwork year, so a small branch stays small
    # within each year; responses are shared between the years by volume.
    days, p = day_weights(spec)
    years = fieldwork_years(days)
    sizes = allocate(n, np.array([p[m].sum() for m in years]))
    parts = []
    for mask, size in zip(years, sizes):
        counts = branch_counts(rng, size)
        branch = np.repeat(list(counts), list(counts.values()))
        rng.shuffle(branch)
        p_year = p[mask]
        date = rng.choice(days[mask], size=size, p=p_year / p_year.sum())
        parts.append(pd.DataFrame({"branch": branch, "date": date}))

    df = pd.concat(parts, ignore_index=True)
    df["region"] = df["branch"].map(REGION_OF)
    # Position on the programme clock: 0 on 1 Oct 2025, 1 on 30 Sep 2026,
    # -1 a year earlier (the start of the first fieldwork year).
    df["t"] = ((df["date"] - pd.Timestamp(CLOCK_START)).dt.days / 364) \
        .clip(-1, 1)

    seg_p = np.array([SEGMENT_MIX[r] for r in df["region"]])
    df["customer_segment"] = choose(rng, SEGMENTS, seg_p)

    # The App takes a growing share of interactions over the two years.
    ch_p = np.array([CHANNEL_MIX[s] for s in df["customer_segment"]])
    ch_p[:, 2] *= 1.0 + 0.25 * df["t"].to_numpy()
    df["channel"] = choose(rng, CHANNELS, ch_p)

    st_p = np.array([STAGE_MIX[c] for c in df["channel"]])
    df["journey_stage"] = choose(rng, list(STAGES), st_p)
    df["touchpoint"] = [
        rng.choice(list(STAGES[s]), p=list(STAGES[s].values()))
        for s in df["journey_stage"]
    ]

    # Responses arrive in date order; ids are issued in that order.
    df = df.sort_values("date", kind="stable").reset_index(drop=True)
    return df


# ---------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------


def app_effect(t: np.ndarray) -> np.ndarray:
    """The App is stuck behind through the first year, then improves
    steadily through the second (a series of releases from October 2025
    fixed log-in and payment problems)."""
    return -0.75 + 0.85 * np.clip(t, 0, 1)


# Branch stories for the year-on-year view. Each has a trouble period given
# as four dates: trouble builds from the first to the second, is at full
# strength until the third and has passed by the fourth. At full strength it
# shifts general satisfaction and the attributes that suffered. No story
# touches January-June 2026, so the starter set is unaffected.
BRANCH_STORIES = {
    # Refurbished in 2025: a temporary counter with one till, long queues.
    "Esplanade": (("2025-02-15", "2025-03-15", "2025-09-30", "2025-11-30"),
                  {"latent": -0.20, "a_wait": -0.70, "a_speed": -0.20}),
    # Two experienced advisers left in June 2026; short-staffed all summer.
    "Eastbank": (("2026-07-01", "2026-07-31", "2026-12-31", "2027-01-31"),
                 {"latent": -0.40, "a_staff": -0.60, "a_resolve": -0.40,
                  "a_wait": -0.30}),
}


def branch_trouble(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Shifts from the branch stories, per row: "latent" and attributes."""
    out: dict[str, np.ndarray] = {}
    day = (df["date"] - pd.Timestamp(CLOCK_START)).dt.days.to_numpy()
    for branch, (dates, shifts) in BRANCH_STORIES.items():
        knots = [(pd.Timestamp(d) - pd.Timestamp(CLOCK_START)).days
                 for d in dates]
        strength = np.interp(day, knots, [0.0, 1.0, 1.0, 0.0])
        strength = np.where(df["branch"].to_numpy() == branch, strength, 0.0)
        for key, shift in shifts.items():
            out[key] = out.get(key, np.zeros(len(df))) + shift * strength
    return out


def build_scores(rng: np.random.Generator,
                 df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latent satisfaction -> attributes -> NPS, CSAT, CES.

    Returns the integer answers and the continuous attribute scores behind
    them (the latter only steer which themes a comment talks about)."""
    n = len(df)
    t = df["t"].to_numpy()
    ch = df["channel"].to_numpy()
    is_app, is_phone = ch == "App", ch == "Phone"
    is_branch, is_web = ch == "Branch", ch == "Web"
    north = (df["region"] == "North").to_numpy()

    trouble = branch_trouble(df)
    zero = np.zeros(n)

    # Latent general satisfaction: person-level noise plus context effects.
    # Branch effects are drawn for all 24 branches in a fixed order so that a
    # branch keeps the same character whatever sample size is generated.
    branch_fx = dict(zip(ALL_BRANCHES, rng.normal(0, 0.12, len(ALL_BRANCHES))))
    seg_fx = {"Mass market": 0.0, "Affluent": 0.10, "Small business": -0.12}
    stage_fx = {"Onboarding": 0.10, "Everyday banking": 0.05,
                "Borrowing": -0.05, "Getting help": -0.20}
    touch_fx = {"Complaint handling": -0.35, "Fraud support": 0.15,
                "Identity check": -0.10, "Loan application": -0.05}
    chan_fx = {"Branch": 0.05, "Phone": -0.05, "App": 0.0, "Web": 0.0}

    latent = (
        rng.normal(0, 1, n)
        + df["branch"].map(branch_fx).to_numpy()
        + df["customer_segment"].map(seg_fx).to_numpy()
        + df["journey_stage"].map(stage_fx).to_numpy()
        + df["touchpoint"].map(touch_fx).fillna(0).to_numpy()
        + df["channel"].map(chan_fx).to_numpy()
        + np.where(is_app, 0.25 * app_effect(t), 0.0)
        + trouble.get("latent", zero)
    )

    # Attribute-specific effects, on the 1-5 rating scale.
    specific = {k: np.zeros(n) for k in ATTRIBUTES}
    specific["a_wait"] += -0.85 * north - 0.15 * is_phone - 0.10 * is_branch
    specific["a_speed"] += -0.20 * is_phone + 0.15 * is_app - 0.10 * north
    specific["a_digital"] += np.where(is_app, 1.0 * app_effect(t), 0.0)
    specific["a_digital"] += -0.25 * (is_branch | is_phone)
    specific["a_resolve"] += np.where(
        df["touchpoint"] == "Complaint handling", -0.40, 0.0)
    specific["a_trust"] += np.where(
        df["touchpoint"] == "Fraud support", 0.20, 0.0)
    specific["a_fees"] += np.where(
        df["customer_segment"] == "Small business", -0.30, 0.0)
    for k in ATTRIBUTES:
        specific[k] += trouble.get(k, zero)

    # Continuous attribute "true scores" (kept for the headline questions and
    # for choosing comment themes) and their deviations from the norm.
    true = pd.DataFrame({
        k: ATTR_MEAN[k] + ATTR_LOADING[k] * latent + specific[k]
        + rng.normal(0, ATTR_NOISE, n)
        for k in ATTRIBUTES
    })
    dev = true - pd.Series(ATTR_MEAN)

    digital_w = np.where(is_app | is_web, 0.45, 0.0)  # digital users only

    def combine(weights: dict[str, float]) -> np.ndarray:
        return sum(w * dev[k].to_numpy() for k, w in weights.items())

    nps_star = (9.10 + combine(NPS_WEIGHT) + 0.35 * latent
                + digital_w * dev["a_digital"].to_numpy()
                + np.where(is_app, 0.3 * app_effect(t), 0.0)
                + rng.normal(0, 1.25, n))
    csat_star = (4.53 + combine(CSAT_WEIGHT) + 0.18 * latent
                 + 0.3 * digital_w * dev["a_digital"].to_numpy()
                 + rng.normal(0, 0.55, n))
    ces_star = (5.65 + combine(CES_WEIGHT)
                + 0.35 * digital_w * dev["a_digital"].to_numpy()
                + df["channel"].map({"Branch": 0.0, "Phone": -0.75,
                                     "App": 0.25, "Web": 0.05}).to_numpy()
                + rng.normal(0, 0.95, n))

    scores = pd.DataFrame({
        "q_nps": np.clip(np.rint(nps_star), 0, 10),
        "q_csat": np.clip(np.rint(csat_star), 1, 5),
        "q_ces": np.clip(np.rint(ces_star), 1, 7),
    })
    for k in ATTRIBUTES:
        rating = np.clip(np.rint(true[k].to_numpy()), 1, 5)
        na_p = df["channel"].map(NOT_APPLICABLE[k]).to_numpy()
        if k == "a_resolve":  # almost everyone asking for help had an issue
            na_p = np.where(df["journey_stage"] == "Getting help", 0.02, na_p)
        scores[k] = np.where(rng.random(n) < na_p, 0, rating)
    return scores.astype(int), true


# ---------------------------------------------------------------------------
# Comments
# ---------------------------------------------------------------------------

# Fragments used to fill the {slots} in the comment templates.
SLOTS = {
    "wait": ["20 minutes", "nearly half an hour", "over 40 minutes",
             "25 minutes", "the best part of an hour", "35 minutes",
             "a good 15 minutes", "almost 50 minutes"],
    "hold": ["45 minutes on hold", "over an hour on hold",
             "half an hour on hold", "40 minutes listening to hold music",
             "25 minutes in the phone queue", "ages on hold"],
    "day": ["Saturday morning", "my lunch break", "a Monday",
            "Friday afternoon", "payday", "a weekday morning",
            "the last day of the month"],
    "staff": ["the lady at the counter", "the young man who helped me",
              "the advisor", "the cashier", "the manager",
              "the staff member I spoke to", "the mortgage advisor",
              "the person who served me", "the business banking team",
              "the woman on the front desk"],
    "phone_staff": ["the person on the phone", "the call handler",
                    "the advisor I spoke to", "the lady on the helpline",
                    "the gentleman on the phone"],
    "chat_staff": ["the live chat team", "the person on web chat",
                   "the agent on the in-app chat", "the chat advisor"],
    # Things that go wrong and need fixing.
    "problem": ["my direct debits", "a missing payment", "a disputed payment",
                "a refund", "my overdraft limit", "a blocked card",
                "a duplicate charge", "my business account",
                "a bounced standing order", "my address details"],
    # Things customers try to get done.
    "task": ["set up a standing order", "change my address",
             "order a replacement card", "increase my overdraft",
             "add a new payee", "download a statement",
             "update my phone number", "cancel a direct debit"],
    "bad_feature": ["log-in", "payments screen", "face ID log-in",
                    "statement download", "transfer page", "card controls"],
    "good_feature": ["budgeting tool", "card freeze button",
                     "instant notifications", "face ID log-in",
                     "spending insights", "savings pots"],
    "fee": ["the overdraft charges", "the monthly account fees",
            "the charges for a replacement card",
            "the charges on international payments",
            "the arrangement fees", "the business banking charges",
            "the charges for paying in cash"],
    "time": ["3pm", "half three", "4pm"],
}

# Theme sentences. "neg" for unhappy customers, "pos" for happy ones;
# "_phone" variants are used for Phone interactions and "_late" variants
# are added from the middle of the second year, once the App had improved.
THEMES = {
    "wait": {
        "neg": [
            "Waited {wait} at the {branch} branch with only one till open.",
            "The queue at {branch} was out of the door again on {day}.",
            "Far too long a wait, {wait} just to pay in a cheque.",
            "Queues at {branch} are getting worse every time I go in.",
            "There is never enough staff on at {branch}, you just stand and wait.",
            "Why does it take {wait} to be seen when the branch is half empty?",
            "Waiting times are ridiculous, I queued for {wait}.",
            "Only two counters open on {day} and a huge queue.",
            "Had an appointment at {branch} and was still kept waiting {wait}.",
            "The queue barely moved for {wait}.",
            "Stood in line for {wait} on {day}, not acceptable.",
        ],
        "neg_phone": [
            "Spent {hold} before anyone answered.",
            "I gave up after {hold}.",
            "{Hold} and then I was cut off.",
            "Waited {hold} just to be transferred to another queue.",
            "The phone line is always busy, it took {hold} to get through.",
        ],
        "pos": [
            "Hardly any wait at {branch}, I was in and out in minutes.",
            "No queue at all, which made a nice change.",
            "Was seen quickly even though it was {day}.",
            "Short wait and the appointment ran on time.",
            "In and out of {branch} in ten minutes.",
        ],
        "pos_phone": [
            "Got through on the phone almost straight away.",
            "Hardly any time on hold.",
            "The call was answered within a couple of minutes.",
        ],
        "neg_digital": [
            "Waited {wait} for someone to reply on the live chat.",
            "The chat said a five minute wait but it was {wait}.",
            "Took three days for my transfer to show, far too slow.",
            "Sent a secure message and waited a week for an answer.",
        ],
        "pos_digital": [
            "The chat team replied within minutes.",
            "Payments go through instantly.",
            "Got an answer to my secure message the same day.",
        ],
    },
    "staff": {
        "neg": [
            "The staff didn't seem to know the answer and had to keep asking someone else.",
            "{Staff} was polite but clearly had not been trained on business accounts.",
            "I got three different answers from three different people.",
            "Nobody could explain why {problem} had gone wrong.",
            "{Staff} read from a script and could not help with anything outside it.",
            "Staff seemed rushed and not very interested.",
            "{Staff} did not know how to {task} and had to look it up.",
            "I knew more about the product than {staff} did.",
        ],
        "pos": [
            "{Staff} was really helpful and knew exactly what to do.",
            "Very knowledgeable staff, they sorted {problem} in one go.",
            "{Staff} went above and beyond for me.",
            "Friendly, patient and clearly knew their stuff.",
            "Lovely staff at {branch}, always a smile.",
            "{Staff} explained everything clearly and didn't rush me.",
            "Really impressed with {staff}, very professional.",
            "{Staff} knew the answer straight away.",
            "{Staff} was kind and took the time to help me {task}.",
        ],
    },
    "app": {
        "neg": [
            "The app keeps logging me out.",
            "The {bad_feature} in the app is slow and often crashes.",
            "After the last update the app would not let me log in for two days.",
            "The app is clunky compared with other banks.",
            "Online banking timed out twice while I was making a payment.",
            "Could not work out how to {task} in the app.",
            "The {bad_feature} never seems to work properly.",
            "The app froze halfway through a transfer and I had no idea if it had gone.",
            "Tried to {task} online but the website kept throwing an error.",
        ],
        "neg_late": [
            "The app is better than it was, but the {bad_feature} still plays up.",
            "App has improved, but I still could not {task} online.",
        ],
        "pos": [
            "The app is easy to use and does everything I need.",
            "Online banking is quick and simple.",
            "Love the {good_feature} in the app.",
            "Managed to {task} in the app in a couple of minutes.",
            "Really handy being able to do everything on my phone.",
            "The website is straightforward and I found what I needed.",
        ],
        "pos_late": [
            "The app has got so much better since the update.",
            "The new version of the app is a big improvement, especially the {good_feature}.",
            "Much happier with the app now, it used to crash all the time.",
            "The app finally works the way it should.",
            "Whoever redesigned the app did a great job.",
        ],
    },
    "fees": {
        "neg": [
            "{Fee} are far too high for what you get.",
            "I was charged for something nobody told me about.",
            "Not happy about {fee}.",
            "Poor value, {fee} keep going up.",
            "Other banks don't charge for this.",
            "Hit with {fee} without any warning.",
        ],
        "pos": [
            "Fair charges and no nasty surprises.",
            "Good value compared with my old bank.",
            "Fees were explained clearly up front.",
            "They waived {fee} when I asked, which I appreciated.",
        ],
    },
    "resolve": {
        "neg": [
            "I had to call back four times to get {problem} sorted.",
            "My complaint is still not resolved after three weeks.",
            "Nobody took ownership, I was passed from team to team.",
            "Was promised a call back that never came.",
            "Still waiting for {problem} to be put right.",
            "Had to explain the whole story again every time I called.",
            "They closed my complaint without actually fixing anything.",
            "Three visits to {branch} and I still haven't got {problem} sorted.",
        ],
        "pos": [
            "Problem solved on the first call.",
            "{Staff} sorted {problem} there and then.",
            "Everything was fixed straight away, no follow-up needed.",
            "They put {problem} right quicker than I expected.",
            "Dealt with my issue from start to finish without passing me around.",
            "Sorted out {problem} in one visit.",
        ],
    },
    "hours": {
        "neg": [
            "Closing the {branch} branch at {time} makes it impossible to get there after work.",
            "Shame so many branches have closed, I now have to travel to {branch}.",
            "The branch is shut on Saturdays which is no use to me.",
            "With the local branch gone it is a bus ride to {branch} for anything.",
            "Opening hours are too short, especially for small businesses.",
            "Heard {branch} might close too, which would be a real loss.",
        ],
        "pos": [
            "Glad {branch} is still open on Saturday mornings.",
            "Convenient opening hours.",
            "Good to still have a proper branch nearby.",
            "Handy that {branch} stays open late on Thursdays.",
        ],
    },
    "fraud": {
        "neg": [
            "When my card was compromised it took days to get a replacement.",
            "The fraud team blocked a genuine payment and it took an hour to unblock.",
            "I reported a scam payment and felt nobody was taking it seriously.",
            "Security checks are so fiddly I got locked out.",
            "My card was blocked abroad with no way to sort it quickly.",
        ],
        "pos": [
            "The fraud team spotted a dodgy transaction before I did, very reassuring.",
            "Handled the suspicious payment quickly and refunded me the same day.",
            "I feel my money is safe with Harbour Bank.",
            "Very reassuring when I called about a scam text.",
            "They froze my card straight away and a new one arrived in two days.",
            "Good to know someone is keeping an eye on my account.",
        ],
    },
}

OPENERS = {
    "neg": ["", "", "", "", "Honestly, ", "To be frank, ", "Very disappointed. ",
            "Not impressed. ", "Poor experience. ", "Frustrating. ",
            "Where do I start. ", "Sorry but ", "Really poor. "],
    "pos": ["", "", "", "", "Great service. ", "Very happy. ", "Excellent. ",
            "No complaints. ", "Brilliant. ", "Spot on. ", "Really good. ",
            "Couldn't fault it. "],
}
CLOSERS = {
    "neg": ["", "", "", "", " Thinking about moving my account.",
            " Please sort this out.", " Not good enough.",
            " Expected better from Harbour Bank.",
            " I have been a customer for 20 years and this is the worst it has been.",
            " Will be looking elsewhere.", " Very stressful.",
            " Someone needs to look at this."],
    "pos": ["", "", "", "", " Keep it up!", " Would recommend.",
            " Thank you.", " Best bank I've been with.",
            " Have already recommended you to friends.",
            " Thanks again.", " Really pleased."],
}
# Links for passives' mixed comments, depending on which half comes second.
LINK_TO_BAD = [" But ", " However, ", " Only downside: ", " That said, ",
               " On the other hand, "]
LINK_TO_GOOD = [" But ", " However, ", " On the plus side, ", " To be fair, ",
                " That said, "]

# Words that keep their capital letter when a sentence is joined mid-way.
PROPER = {"I", "I'm", "I've", "Harbour", "Sam"} | set(REGION_OF)

# Personal details customers sometimes type into comments (reserved example
# data only: example.com domains, Ofcom drama numbers, test card numbers).
PII_SENTENCES = [
    " Please email me at j.smith@example.com.",
    " You can call me on 07700 900123.",
    " My card number is 4929 1234 5678 9012 if you need to check.",
    " This was about account 12345678.",
    " Contact me on sarah.jones@example.org.",
    " Ring me back on 07700 900456 please.",
    " The card was 4111 1111 1111 1111.",
    " My account 87654321 still shows the charge.",
    " Reply to m.patel@example.net.",
    " Mobile is 07700 900789.",
]


def lower_first(text: str) -> str:
    """Lower-case the first letter, unless it starts a name or "I"."""
    first = text.split(" ", 1)[0].rstrip(",.")
    if first in PROPER or any(text.startswith(b) for b in REGION_OF):
        return text
    return text[0].lower() + text[1:]


def fill(rng: np.random.Generator, template: str, row: pd.Series) -> str:
    """Fill the {slots} of one template with randomly chosen fragments."""
    def pick(key: str) -> str:
        return str(rng.choice(SLOTS[key]))

    staff = pick({"Phone": "phone_staff", "App": "chat_staff",
                  "Web": "chat_staff"}.get(row["channel"], "staff"))
    fee, hold = pick("fee"), pick("hold")
    return template.format(
        branch=row["branch"], wait=pick("wait"), day=pick("day"),
        hold=hold, Hold=hold[0].upper() + hold[1:],
        staff=staff, Staff=staff[0].upper() + staff[1:],
        problem=pick("problem"), task=pick("task"),
        bad_feature=pick("bad_feature"), good_feature=pick("good_feature"),
        fee=fee, Fee=fee[0].upper() + fee[1:], time=pick("time"),
    )


def theme_weights(row: pd.Series, true: pd.Series, polarity: str) -> dict:
    """How likely each theme is to come up, given this customer's scores
    and context. Unhappy customers talk about what went worst, happy ones
    about what went best."""
    sign = -1 if polarity == "neg" else 1
    score = {"wait": true["a_wait"], "staff": true["a_staff"],
             "app": true["a_digital"], "fees": true["a_fees"],
             "resolve": true["a_resolve"], "hours": 3.6,
             "fraud": true["a_trust"]}
    w = {k: np.exp(1.3 * sign * (v - 3.5)) for k, v in score.items()}
    digital = row["channel"] in ("App", "Web")
    w["app"] *= 3.0 if digital else 0.2
    w["staff"] *= 0.3 if digital else 1.5
    w["wait"] *= 0.4 if digital else 1.0
    w["hours"] *= 1.2 if row["channel"] == "Branch" else 0.3
    w["fraud"] *= 6.0 if row["touchpoint"] == "Fraud support" else 0.3
    w["resolve"] *= 3.0 if row["journey_stage"] == "Getting help" else 1.0
    w["fees"] *= 0.5 if polarity == "pos" else 1.0
    if row["region"] == "North" and polarity == "neg":
        w["wait"] *= 6.0  # the queues are what North customers talk about
    return w


def sentence(rng, row, true, polarity, exclude=()) -> tuple[str, str]:
    """One theme sentence of the given polarity; returns (theme, text)."""
    w = {k: v for k, v in theme_weights(row, true, polarity).items()
         if k not in exclude}
    themes = list(w)
    p = np.array(list(w.values()))
    theme = themes[rng.choice(len(themes), p=p / p.sum())]
    if theme == "wait" and row["channel"] != "Branch":
        kind = "_phone" if row["channel"] == "Phone" else "_digital"
        pool = list(THEMES["wait"][polarity + kind])
    else:
        pool = list(THEMES[theme][polarity])
    if theme == "app" and row["t"] > 0.5:
        pool += THEMES["app"][polarity + "_late"] * 2  # the app got better
    return theme, fill(rng, str(rng.choice(pool)), row)


def compose_comment(rng, row, true) -> str:
    """A comment whose tone follows the NPS answer: praise from promoters,
    mixed feelings from passives, complaints from detractors."""
    nps = row["q_nps"]
    if nps >= 9:
        tone = "pos"
    elif nps >= 7:
        tone = "mixed"
    else:
        tone = "neg"

    if tone == "mixed":
        t1, good = sentence(rng, row, true, "pos")
        _, bad = sentence(rng, row, true, "neg", exclude=(t1,))
        if rng.random() < 0.5:  # either order reads naturally
            text = good + str(rng.choice(LINK_TO_BAD)) + lower_first(bad)
        else:
            text = bad + str(rng.choice(LINK_TO_GOOD)) + lower_first(good)
    else:
        t1, s1 = sentence(rng, row, true, tone)
        parts = [s1]
        if rng.random() < 0.35:
            parts.append(sentence(rng, row, true, tone, exclude=(t1,))[1])
        opener = str(rng.choice(OPENERS[tone]))
        if opener and not opener.endswith(". "):
            parts[0] = lower_first(parts[0])
        text = opener + " ".join(parts) + str(rng.choice(CLOSERS[tone]))

    # A little of the untidiness of real free text.
    r = rng.random()
    if r < 0.08:
        text = text.rstrip(".")
    elif r < 0.12:
        text = lower_first(text)
    return text


def build_comments(rng: np.random.Generator, df: pd.DataFrame,
                   true: pd.DataFrame, n_pii: int) -> pd.Series:
    """About 45% of customers leave a comment; unhappy ones more often."""
    nps = df["q_nps"].to_numpy()
    p = np.where(nps <= 6, 0.60, np.where(nps <= 8, 0.36, 0.38))
    writes = rng.random(len(df)) < p
    comments = pd.Series("", index=df.index, dtype=object)
    for i in np.flatnonzero(writes):
        comments[i] = compose_comment(rng, df.loc[i], true.loc[i])

    # A few customers type personal details into the comment box, mostly
    # when something has gone wrong and they want a call back.
    candidates = np.flatnonzero(writes & (nps <= 8))
    chosen = np.sort(rng.choice(candidates, size=n_pii, replace=False))
    for j, i in enumerate(chosen):
        text = comments[i].rstrip(".")
        if not text.endswith(("?", "!")):
            text += "."
        comments[i] = text + PII_SENTENCES[j % len(PII_SENTENCES)]
    return comments


# ---------------------------------------------------------------------------
# Weights and data-quality problems
# ---------------------------------------------------------------------------


def build_weights(rng: np.random.Generator, df: pd.DataFrame) -> np.ndarray:
    """Post-stratification to population region x segment shares, with a
    little extra variation from a second raking stage, trimmed to 0.4-2.5."""
    cell = df["region"] + "|" + df["customer_segment"]
    sample_share = cell.map(cell.value_counts(normalize=True))
    pop = {f"{r}|{s}": share for r, shares in POPULATION.items()
           for s, share in zip(SEGMENTS, shares)}
    total = sum(pop.values())
    weight = cell.map(pop).to_numpy() / total / sample_share.to_numpy()
    weight *= rng.lognormal(0, 0.10, len(df))
    weight = np.clip(weight / weight.mean(), 0.4, 2.5)
    return weight / weight.mean()


def to_text(df: pd.DataFrame) -> pd.DataFrame:
    """Format every column as text exactly as it should appear in the CSV."""
    out = pd.DataFrame(index=df.index)
    for col in COLUMNS:
        if col == "weight":
            out[col] = df[col].map(lambda w: f"{w:.4f}")
        elif col in RATING_COLUMNS:
            out[col] = df[col].astype(int).astype(str)
        else:
            out[col] = df[col].astype(str)
    return out


def add_mess(rng: np.random.Generator, text: pd.DataFrame,
             spec: Spec) -> pd.DataFrame:
    """Don't-know codes, blanks, invalid entries and double submissions."""
    n = len(text)
    for col in ("q_csat", "q_ces"):  # 99 = "don't know"
        text.loc[rng.random(n) < DONT_KNOW_RATE, col] = "99"
    for col in RATING_COLUMNS:  # item non-response
        text.loc[rng.random(n) < BLANK_RATE, col] = ""

    # Typing errors and out-of-range values, one per chosen row.
    rows = rng.choice(n, size=len(spec.invalid_values), replace=False)
    for i, (col, value) in zip(rows, spec.invalid_values):
        text.loc[i, col] = value

    # Double submissions: the same answers arrive again a little later.
    # Each copy is slotted in a few rows after its original.
    originals = rng.choice(np.setdiff1d(np.arange(n - 30), rows),
                           size=spec.n_duplicates, replace=False)
    gaps = rng.integers(1, 30, size=spec.n_duplicates)
    copies = text.iloc[originals]
    position = np.concatenate([np.arange(n), originals + gaps + 0.5])
    order = np.argsort(position, kind="stable")
    return pd.concat([text, copies], ignore_index=True).iloc[order] \
        .reset_index(drop=True)


# ---------------------------------------------------------------------------
# Competitor survey and benchmark table
# ---------------------------------------------------------------------------

COMPETITOR_SEED = 20261124
N_MARKET = 1560  # respondents to the competitor survey
OWN_BRAND = "Harbour Bank"
OWN_SHARE = 0.57  # respondents who know and rate Harbour Bank

# Rival brands and how widely they are known (the chance of being picked
# when a respondent rates a rival). Meridian is the big high-street bank;
# Coastline the traditional building society; Northern Trust the old
# regional bank that has cut branches and staff; Quay Digital the app-only
# challenger.
RIVALS = {"Meridian Bank": 0.30, "Coastline Building Society": 0.26,
          "Northern Trust Bank": 0.23, "Quay Digital": 0.21}

# Where each brand sits on the underlying 0-10, 1-5 and 1-7 scales. The
# challenger is the easiest to deal with and the most recommended, the
# building society the most satisfying, Harbour Bank mid-pack and Northern
# Trust last on everything.
BRAND_MEAN = {  # (NPS*, CSAT*, CES*)
    "Quay Digital": (8.55, 4.10, 6.00),
    "Coastline Building Society": (8.37, 4.30, 5.30),
    OWN_BRAND: (8.20, 4.08, 5.15),
    "Meridian Bank": (7.81, 3.92, 4.90),
    "Northern Trust Bank": (7.50, 3.78, 4.45),
}


def generate_competitor_survey() -> pd.DataFrame:
    """A market survey in the long shape: one row per respondent and brand
    rated. Each respondent rates the two or three banks they know; a
    respondent's ratings share a personal tendency to score high or low."""
    rng = np.random.default_rng(COMPETITOR_SEED)
    n = N_MARKET
    k = np.where(rng.random(n) < 0.5, 2, 3)  # brands rated
    own = rng.permutation(n) < round(OWN_SHARE * n)
    rivals, aware = list(RIVALS), np.array(list(RIVALS.values()))
    rows = []
    for i in range(n):
        picked = rng.choice(len(rivals), size=k[i] - own[i], replace=False,
                            p=aware / aware.sum())
        brands = ([OWN_BRAND] if own[i] else []) + [rivals[j] for j in picked]
        rows += [(i, b) for b in brands]
    df = pd.DataFrame(rows, columns=["person", "brand"])

    m = len(df)
    person = rng.normal(0, 1, n)[df["person"]]
    latent = 0.55 * person + 0.85 * rng.normal(0, 1, m)
    mean = np.array([BRAND_MEAN[b] for b in df["brand"]])
    nps = np.clip(np.rint(mean[:, 0] + 1.9 * latent
                          + rng.normal(0, 0.9, m)), 0, 10)
    csat = np.clip(np.rint(mean[:, 1] + 0.65 * latent
                           + rng.normal(0, 0.45, m)), 1, 5)
    ces = np.clip(np.rint(mean[:, 2] + 0.85 * latent
                          + rng.normal(0, 0.85, m)), 1, 7)

    # Weights to the banking population (age x region), one per respondent.
    w = np.clip(rng.lognormal(0, 0.25, n), 0.4, 2.5)
    w = w / w.mean()

    text = pd.DataFrame({
        "resp_id": [f"CS-{i + 1:05d}" for i in df["person"]],
        "brand": df["brand"],
        "q_nps": nps.astype(int).astype(str),
        "q_csat": csat.astype(int).astype(str),
        "q_ces": ces.astype(int).astype(str),
        "weight": [f"{x:.4f}" for x in w[df["person"]]],
    })
    # "Don't know" (99) is commoner for a rival, which the respondent knows
    # less well than their own bank; a few questions are skipped.
    familiar = np.where(df["brand"] == OWN_BRAND, 0.6, 1.25)
    for col, dk in (("q_nps", 0.01), ("q_csat", 0.025), ("q_ces", 0.03)):
        text.loc[rng.random(m) < dk * familiar, col] = "99"
        text.loc[rng.random(m) < 0.012, col] = ""
    # Fielded online from 6 July to 25 September 2026 (2026 Q3), one date per
    # respondent; drawn from a generator of its own so the ratings above stay
    # the same whether or not the dates are written.
    days = np.random.default_rng(COMPETITOR_SEED + 1).integers(0, 82, n)
    start = np.datetime64("2026-07-06")
    text["survey_date"] = [str(start + np.timedelta64(int(d), "D")) for d in days[df["person"]]]
    return text


# A syndicated tracker and published ACSI-style indices (all fictional):
# brand -> (NPS, n), (CSAT top-2 %, n), ACSI-style index (no base given).
MONITOR = "UK Retail Banking Monitor 2026 (syndicated)"
DESK = "Desk research (published ACSI-style scores)"
COMPETITOR_FIGURES = {
    OWN_BRAND: ((18, 612), (77.4, 598), 75),
    "Meridian Bank": ((9, 1148), (73.1, 1131), 74),
    "Coastline Building Society": ((26, 874), (84.2, 861), 79),
    "Northern Trust Bank": ((-7, 1006), (64.8, 990), 71),
    "Quay Digital": ((33, 731), (80.6, 722), 78),
}


def competitor_table() -> pd.DataFrame:
    """Brand x metric figures from the syndicated monitor and desk research;
    the ACSI-style indices are published without a base, so n is empty."""
    rows = []
    for brand, (nps, csat, acsi) in COMPETITOR_FIGURES.items():
        rows.append((brand, "nps", f"{nps[0]}", f"{nps[1]}", MONITOR))
        rows.append((brand, "csat_top2", f"{csat[0]:.1f}", f"{csat[1]}",
                     MONITOR))
        rows.append((brand, "acsi", f"{acsi}", "", DESK))
    table = pd.DataFrame(rows, columns=["brand", "metric", "value", "n",
                                        "source"])
    table["year"] = "2026"
    return table


# ---------------------------------------------------------------------------
# Case log: customer contacts and complaints with their response times
# ---------------------------------------------------------------------------

CASES_SEED = 20261206  # its own generator: every other file stays byte for byte
CASES = HERE / "data" / "cases.csv"
CASE_START, CASE_END = "2024-10-01", "2026-09-30"
EXPORTED = "2026-10-02 08:00:00"  # when the export was taken
CASES_PER_DAY = 10.5
CASE_REGIONS = ["East", "North", "South", "West"]
# channel -> (share of contacts, median first response in seconds, log-sd,
# weekend slow-down factor, share still unanswered at a miss)
CASE_CHANNELS = {
    "Phone": (0.34, 14.0, 0.85, 1.3),
    "Email": (0.21, 9.5 * 3600, 0.75, 1.6),
    "Chat": (0.19, 55.0, 0.70, 1.2),
    "Social": (0.12, 22 * 60, 0.80, 3.2),
    "Branch": (0.14, 0.8 * 86400, 0.70, 1.0),
}
CASE_CATEGORIES = {"Query": 0.42, "Service request": 0.27, "Complaint": 0.21,
                   "Fraud report": 0.05, "Feedback": 0.05}
# closure after the first response, median seconds by channel
CASE_CLOSURE = {"Phone": 0.3 * 86400, "Email": 1.6 * 86400, "Chat": 0.2 * 86400,
                "Social": 0.9 * 86400, "Branch": 2.2 * 86400}


def _stamp(t: pd.Series) -> list[str]:
    return [x.strftime("%Y-%m-%d %H:%M:%S") if pd.notna(x) else "" for x in t]


def generate_cases(responses: pd.DataFrame) -> pd.DataFrame:
    """About 7,700 cases over the survey's two years. Social is fast on weekdays
    and misses its hour at weekends; email is slow and, in September 2026, falls
    behind (a backlog at the export); phone answers most calls within 20 s.
    Most survey detractors get a follow-up call or e-mail within a few days of
    their response (fewer in the first year, before the closed-loop programme);
    a few other respondents have contacted the bank too."""
    rng = np.random.default_rng(CASES_SEED)
    days = pd.date_range(CASE_START, CASE_END, freq="D")
    per_day = rng.poisson(CASES_PER_DAY * np.where(days.day_of_week >= 5, 0.6, 1.1))
    day = np.repeat(days.to_numpy(), per_day)
    n = len(day)
    # office hours, busier mid-morning
    seconds = np.clip(rng.normal(12.5 * 3600, 3.2 * 3600, n), 7 * 3600, 21.5 * 3600)
    received = pd.Series(day + (seconds * 1e9).astype("timedelta64[ns]"))
    names = list(CASE_CHANNELS)
    share = np.array([CASE_CHANNELS[c][0] for c in names])
    channel = np.array(names)[rng.choice(len(names), n, p=share / share.sum())]
    first, closed = _response_times(rng, received, channel)
    frame = pd.DataFrame({"channel": channel, "received": received, "first": first, "closed": closed,
                          "resp_id": ""})
    frame = pd.concat([frame, _follow_ups(rng, responses)], ignore_index=True)
    frame = frame.sort_values("received", kind="stable").reset_index(drop=True)
    n = len(frame)
    cats = list(CASE_CATEGORIES)
    frame["category"] = np.array(cats)[rng.choice(len(cats), n, p=list(CASE_CATEGORIES.values()))]
    frame.loc[frame["resp_id"] != "", "category"] = "Complaint"
    frame["region"] = np.array(CASE_REGIONS)[rng.integers(0, len(CASE_REGIONS), n)]
    # what the bank knew at the export: nothing after it
    export = pd.Timestamp(EXPORTED)
    frame.loc[frame["first"] > export, "first"] = pd.NaT
    frame.loc[frame["closed"] > export, "closed"] = pd.NaT
    frame.loc[frame["first"].isna(), "closed"] = pd.NaT
    return pd.DataFrame({
        "case_ref": [f"HB-C{k + 1:06d}" for k in range(n)],
        "channel": frame["channel"],
        "category": frame["category"],
        "region": frame["region"],
        "received_at": _stamp(frame["received"]),
        "first_response_at": _stamp(frame["first"]),
        "closed_at": _stamp(frame["closed"]),
        "customer_resp_id": frame["resp_id"],
    })


def _response_times(rng: np.random.Generator, received: pd.Series, channel: np.ndarray
                    ) -> tuple[pd.Series, pd.Series]:
    n = len(received)
    weekend = received.dt.day_of_week.to_numpy() >= 5
    median = np.array([CASE_CHANNELS[c][1] for c in channel])
    sd = np.array([CASE_CHANNELS[c][2] for c in channel])
    slow = np.array([CASE_CHANNELS[c][3] for c in channel])
    wait = median * np.exp(rng.normal(0, sd, n)) * np.where(weekend, slow, 1.0)
    # Social weekend cover improves from 2026 Q2 (a weekend rota)
    social = channel == "Social"
    rota = (received >= "2026-04-01").to_numpy()
    wait = np.where(social & weekend & rota, wait / 2.0, wait)
    # September 2026: an e-mail backlog after a system migration
    september = ((received >= "2026-09-01") & (received < "2026-10-01")).to_numpy()
    wait = np.where((channel == "Email") & september, wait * rng.uniform(1.5, 4.0, n), wait)
    first = received + pd.to_timedelta(wait, unit="s")
    close_median = np.array([CASE_CLOSURE[c] for c in channel])
    closing = close_median * np.exp(rng.normal(0, 0.9, n))
    closed = first + pd.to_timedelta(closing, unit="s")
    return first, closed


def _follow_ups(rng: np.random.Generator, responses: pd.DataFrame) -> pd.DataFrame:
    """Call-backs to detractors (NPS 0-6) a few days after they answered, and
    contacts from a few other respondents."""
    nps = pd.to_numeric(responses["q_nps"], errors="coerce")
    date = pd.to_datetime(responses["response_date"])
    second_year = (date >= "2025-10-01").to_numpy()
    detractor = (nps <= 6).to_numpy()
    p = np.where(detractor, np.where(second_year, 0.72, 0.45), 0.03)
    chosen = np.flatnonzero(rng.random(len(responses)) < p)
    chosen = chosen[~responses["resp_id"].iloc[chosen].duplicated().to_numpy()]
    m = len(chosen)
    delay = rng.uniform(0.3, 4.0, m) * 86400
    received = pd.Series(date.iloc[chosen].to_numpy() + (delay * 1e9).astype("timedelta64[ns]"))
    channel = np.where(rng.random(m) < 0.7, "Phone", "Email")
    # a call-back is an outbound call: its "first response" is the call itself
    first = received + pd.to_timedelta(np.where(channel == "Phone", rng.uniform(0, 25, m),
                                                rng.lognormal(np.log(6 * 3600), 0.8, m)), unit="s")
    closed = first + pd.to_timedelta(rng.lognormal(np.log(1.5 * 86400), 0.8, m), unit="s")
    keep = (received <= pd.Timestamp(CASE_END) + pd.Timedelta(days=1)).to_numpy()
    return pd.DataFrame({"channel": channel, "received": received, "first": first, "closed": closed,
                         "resp_id": responses["resp_id"].iloc[chosen].to_numpy()})[keep]


# ---------------------------------------------------------------------------
# Putting it together
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# The customer file: the customer base with its value (RFM) and churn
# ---------------------------------------------------------------------------

CUSTOMERS_SEED = 20261206 + 6  # its own generator: every other file stays byte for byte
CUSTOMERS = HERE / "data" / "customers.csv"
CUSTOMER_BASE = 3.0      # customers in the file per survey respondent
UNMATCHED = 0.025        # respondents missing from the file (new accounts not yet loaded)
SPEND_SIGMA = 1.25       # spread of log revenue: the top 20 % bring about two thirds
CHURN = {"promoter": 0.04, "passive": 0.08, "detractor": 0.18, "unknown": 0.09}
SEGMENT_VALUE = {"Mass market": 0.0, "Affluent": 0.9, "Small business": 0.7}
TIERS = ((0.10, "Premier"), (0.35, "Plus"), (1.0, "Standard"))  # top share → tier


def generate_customers(responses: pd.DataFrame) -> pd.DataFrame:
    """The bank's customer file: every survey respondent but 2.5 % (accounts
    opened too recently to be in the extract), plus twice as many customers
    who did not answer, one row each: days since the last transaction,
    transactions and revenue over the last 12 months (long-tailed), tenure in
    years, the bank's own value tier and whether the account was closed.
    Promoters transact more and close their accounts far less often than
    detractors; affluent and small-business customers are worth more; and
    satisfied passives (CSAT 4-5, NPS 7-8) are worth more than most, the
    high-value customers a loyalty programme should not take for granted."""
    rng = np.random.default_rng(CUSTOMERS_SEED)
    first = responses.drop_duplicates("resp_id")
    ids = first["resp_id"].to_numpy()
    nps = pd.to_numeric(first["q_nps"], errors="coerce").to_numpy()
    nps = np.where(nps <= 10, nps, np.nan)
    csat = pd.to_numeric(first["q_csat"], errors="coerce").to_numpy()
    group = np.where(np.isnan(nps), "unknown", np.where(nps >= 9, "promoter",
                     np.where(nps >= 7, "passive", "detractor")))
    satisfied_passive = (group == "passive") & (csat >= 4) & (csat <= 5)
    lift = (first["customer_segment"].map(SEGMENT_VALUE).to_numpy()
            + np.where(satisfied_passive, 0.8, 0.0)
            + np.where(group == "promoter", 0.15, np.where(group == "detractor", -0.15, 0.0)))
    keep = rng.random(len(ids)) >= UNMATCHED
    m = int(round(len(ids) * (CUSTOMER_BASE - 1)))
    others = pd.DataFrame({
        "customer_id": [f"HB-{900001 + k:06d}" for k in range(m)],
        "lift": np.array(list(SEGMENT_VALUE.values()))[rng.choice(3, m, p=[0.72, 0.13, 0.15])],
        "group": "unknown",
    })
    base = pd.concat([pd.DataFrame({"customer_id": ids, "lift": lift, "group": group})[keep], others],
                     ignore_index=True)
    n = len(base)
    value = base["lift"].to_numpy() + rng.normal(0, 1, n)
    promoter, detractor = (base["group"] == "promoter").to_numpy(), (base["group"] == "detractor").to_numpy()
    churn_p = base["group"].map(CHURN).to_numpy()
    churned = rng.random(n) < churn_p
    # Activity: promoters use the account more, detractors less; closed
    # accounts stopped part-way through the year.
    active_share = np.where(churned, rng.uniform(0.05, 0.7, n), 1.0)
    rate = np.exp(3.3 + 0.45 * value + 0.25 * promoter - 0.25 * detractor + rng.normal(0, 0.5, n))
    frequency = rng.poisson(rate * active_share)
    revenue = np.exp(4.6 + SPEND_SIGMA * (0.75 * value + 0.66 * rng.normal(0, 1, n))) * active_share
    revenue = np.where(frequency == 0, 0.0, revenue)
    gap = rng.exponential(365 / np.maximum(frequency, 1))
    recency = np.where(churned, (1 - active_share) * 365 + gap, gap)
    recency = np.clip(np.round(recency), 0, 365).astype(int)
    tenure = np.round(np.clip(rng.gamma(2.2, 3.6, n) + 0.8 * np.clip(value, 0, None), 0.1, 45), 1)
    rank = pd.Series(revenue * np.exp(rng.normal(0, 0.35, n))).rank(ascending=False, pct=True).to_numpy()
    tier = np.select([rank <= TIERS[0][0], rank <= TIERS[1][0]], [TIERS[0][1], TIERS[1][1]], TIERS[2][1])
    out = pd.DataFrame({
        "customer_id": base["customer_id"],
        "days_since_last_transaction": recency.astype(str),
        "transactions_12m": frequency.astype(str),
        "revenue_12m": [f"{r:.2f}" for r in revenue],
        "tenure_years": [f"{t:.1f}" for t in tenure],
        "value_tier": tier,
        "closed_account": np.where(churned, "yes", "no"),
    })
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------
# The emerging complaint: contactless cards declined (2026 Q3)
# ---------------------------------------------------------------------------

EMERGING_SEED = 20261206 + 16  # its own generator: scores and other columns unchanged
EMERGING_START = "2026-07-01"  # the new contactless cards went out in July 2026
EMERGING_HOSTS = 0.04          # window comments the complaint is appended to
EMERGING_ALONE = 0.06          # window non-commenters who now write only the complaint
EMERGING_BEFORE = 0.002        # earlier comments that mention it (the pilot cards)
COMPLAINT = [  # variations on one core phrase: contactless … declined
    "Contactless keeps getting declined at the till since my replacement arrived.",
    "My contactless payments keep getting declined in the supermarket.",
    "Contactless declined again at the petrol station, with plenty of money in the account.",
    "Contactless payment declined on the bus this week, so embarrassing.",
    "Had contactless declined three times this month for no reason.",
    "The new card's contactless keeps being declined even for small amounts.",
    "Tapped to pay and it was declined; contactless has not worked properly for weeks.",
]


def plant_complaint(df: pd.DataFrame) -> pd.Series:
    """Append the contactless complaint to about 4 % of the 2026 Q3 comments
    (detractors and passives far more often than promoters, and more on the
    payments and card touchpoints), have about 6 % of that quarter's
    non-commenters write it alone, and mention it in 0.2 % of the earlier
    comments. Its words are in no theme of the code frame."""
    rng = np.random.default_rng(EMERGING_SEED)
    comments = df["comment"].copy()
    nps = df["q_nps"].to_numpy()
    window = (df["date"] >= EMERGING_START).to_numpy()
    wrote = (comments != "").to_numpy()
    lean = np.where(nps <= 6, 2.2, np.where(nps <= 8, 1.3, 0.3))
    lean = lean * np.where(df["touchpoint"].isin(["Payments", "Card services"]), 1.8, 1.0)
    lean = lean / lean[window & wrote].mean()
    hosts = wrote & (rng.random(len(df)) < np.where(window, EMERGING_HOSTS, EMERGING_BEFORE) * lean)
    alone = window & ~wrote & (nps <= 8) & (rng.random(len(df)) < EMERGING_ALONE)
    pick = rng.integers(0, len(COMPLAINT), len(df))
    for i in np.flatnonzero(hosts):
        text = comments[i].rstrip()
        if not text.endswith((".", "!", "?")):
            text += "."
        comments[i] = text + " " + COMPLAINT[pick[i]]
    for i in np.flatnonzero(alone):
        comments[i] = COMPLAINT[pick[i]]
    return comments


def generate(spec: Spec) -> pd.DataFrame:
    rng = np.random.default_rng(spec.seed)
    df = build_frame(rng, spec)
    scores, true = build_scores(rng, df)
    df = pd.concat([df, scores], axis=1)
    df["resp_id"] = [f"HB-{i:06d}" for i in range(1, len(df) + 1)]
    df["response_date"] = df["date"].dt.strftime("%Y-%m-%d")
    df["comment"] = build_comments(rng, df, true, spec.n_pii)
    df["weight"] = build_weights(rng, df)
    if spec.emerging:  # its own generator: every other column stays as it was
        df["comment"] = plant_complaint(df)
    return add_mess(rng, to_text(df), spec)


def write_csv(df: pd.DataFrame, path: Path,
              columns: list[str] = COLUMNS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df[columns].to_csv(path, index=False, lineterminator="\n",
                       encoding="utf-8")


def draw_logo(path: Path) -> None:
    """A simple wordmark: a navy ring holding teal waves, then the name."""
    fig = plt.figure(figsize=(12, 3), dpi=100)  # 1200 x 300 px
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 1200)
    ax.set_ylim(0, 300)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.patch.set_alpha(0)

    # Mark: a circle (the harbour mouth) with three waves inside it.
    cx, cy, r = 150, 150, 112
    clip = Circle((cx, cy), r - 9, transform=ax.transData)
    x = np.linspace(cx - r, cx + r, 400)
    for k, (level, alpha) in enumerate([(150, 1.0), (112, 0.75), (74, 0.5)]):
        y = level + 13 * np.sin((x - cx) / 26 + 0.9 * k)
        band = ax.fill_between(x, y - 14, y + 14 - 4 * k, color=TEAL,
                               alpha=alpha, linewidth=0)
        band.set_clip_path(clip)
    # A small navy "beacon" above the waves.
    ax.add_patch(Circle((cx, cy + 62), 17, color=NAVY, linewidth=0))
    ax.add_patch(Circle((cx, cy), r - 4, fill=False, edgecolor=NAVY,
                        linewidth=7))

    # Wordmark: "Harbour" bold, "Bank" regular, both navy, then a thin teal
    # rule under the full width of the name.
    font = {"family": "DejaVu Sans", "size": 80, "color": NAVY,
            "va": "baseline", "ha": "left"}
    renderer = fig.canvas.get_renderer()

    def right_edge(text) -> float:
        return ax.transData.inverted().transform(
            text.get_window_extent(renderer).p1)[0]

    word = ax.text(310, 118, "Harbour", fontweight="bold", **font)
    bank = ax.text(right_edge(word) + 24, 118, "Bank", fontweight="normal",
                   **font)
    ax.plot([314, right_edge(bank)], [82, 82], color=TEAL, linewidth=4,
            solid_capstyle="round")

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, transparent=True, metadata={"Software": None})
    plt.close(fig)


def main() -> None:
    for spec in (FULL, STARTER):
        data = generate(spec)
        write_csv(data, spec.out)
        print(f"wrote {len(data):,} rows to {spec.out}")
    for make, path in ((generate_competitor_survey, COMPETITOR_SURVEY),
                       (competitor_table, COMPETITOR_TABLE)):
        data = make()
        write_csv(data, path, list(data.columns))
        print(f"wrote {len(data):,} rows to {path}")
    draw_logo(LOGO)
    print(f"wrote {LOGO}")
    cases = generate_cases(pd.read_csv(FULL.out, dtype=str, keep_default_na=False))
    write_csv(cases, CASES, list(cases.columns))
    print(f"wrote {len(cases):,} rows to {CASES}")
    customers = generate_customers(pd.read_csv(FULL.out, dtype=str, keep_default_na=False))
    write_csv(customers, CUSTOMERS, list(customers.columns))
    print(f"wrote {len(customers):,} rows to {CUSTOMERS}")


if __name__ == "__main__":
    main()
