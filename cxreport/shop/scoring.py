"""Mystery-shop scoring (METHODS.md §5), vectorised over visits.

Input: a table with one row per visit and one column of normalised answer text per item
(empty = not answered). Each item column is scored once per *distinct* answer and the
points spread back to the visits, so 100,000 visits score in well under a second.

Rules, as METHODS.md §5 fixes them:
- yes/no items earn their points for "yes" (default 1 of 1); scale items the points of the
  chosen option, out of the best option's points; multi-check items the points of every
  ticked option, out of the sum of all options; numeric items their points when the value
  meets the threshold (phone answered within 20 s…), else 0.
- N/A (only where allowed), unanswered optional items and items that do not apply to the
  visit's channel score 0 out of 0: they leave numerator and denominator.
- Bonus items add to earned points only, never to possible points.
- A section whose possible points are 0 has no score and drops out.
- Visit score: pooled points Σ earned / Σ possible (default) or section weights
  Σ wₛ·scoreₛ / Σ wₛ over the sections that have a score; capped at 100 %.
- A failing answer on a critical item caps the visit score (``cap``) or fails the visit
  (``fail``: the score is still reported, the status is "failed — critical").
- An answer *fails* when it earns fewer points than the item's pass points (default: all
  its points); item pass rates and comment requirements use this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxreport.shop.programme import Item, ProgrammeFile

NA_WORDS = {"n/a", "na", "not applicable"}
YES_WORDS = {"yes", "y", "true", "1"}
NO_WORDS = {"no", "n", "false", "0"}


class AnswerError(ValueError):
    """An answer that is not valid for its item."""


@dataclass(frozen=True)
class Points:
    earned: float
    possible: float
    failed: bool
    na: bool
    answered: bool


def parse_answer(item: Item, text: str, threshold: tuple[float, str] | None = None) -> Points:
    """Points of one answer to ``item``; raises :class:`AnswerError` for an invalid answer."""
    raw = "" if text is None else str(text).strip()
    low = raw.lower()
    if raw == "":
        return Points(0.0, 0.0, False, False, False)
    if low in NA_WORDS:
        if not item.na_allowed:
            raise AnswerError("N/A is not allowed for this item")
        return Points(0.0, 0.0, False, True, True)
    possible = item.possible
    if item.type == "text":
        return Points(0.0, 0.0, False, False, True)
    if item.type == "yes_no":
        if low in YES_WORDS:
            earned = item.points
        elif low in NO_WORDS:
            earned = 0.0
        else:
            raise AnswerError(f"'{raw}' is not yes or no")
    elif item.type == "scale":
        option = _option(item, raw)
        if option is None:
            raise AnswerError(f"'{raw}' is not one of the options ({', '.join(o.label for o in item.options)})")
        earned = option.points
    elif item.type == "multi_check":
        earned = 0.0
        ticked: set[str] = set()
        parts = [p.strip() for p in raw.split(";") if p.strip()]
        if [p.lower() for p in parts] == ["none"]:
            parts = []   # explicitly nothing ticked
        for part in parts:
            option = _option(item, part)
            if option is None:
                raise AnswerError(f"'{part}' is not one of the options ({', '.join(o.id or o.label for o in item.options)})")
            if option.label in ticked:
                raise AnswerError(f"option '{part}' is ticked twice")
            ticked.add(option.label)
            earned += option.points
    elif item.type == "numeric":
        try:
            value = float(raw)
        except ValueError:
            raise AnswerError(f"'{raw}' is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise AnswerError(f"'{raw}' is not a plausible {item.unit or 'value'}")
        limit, direction = threshold if threshold else (item.threshold, item.direction)
        met = value <= limit if direction == "at_most" else value >= limit
        earned = item.points if met else 0.0
    else:  # pragma: no cover - the schema allows only the types above
        raise AnswerError(f"unknown item type {item.type}")
    # A bonus item never fails: it can only add points.
    return Points(float(earned), float(possible), (not item.bonus) and earned < item.pass_at, False, True)


def _option(item: Item, text: str):
    low = text.strip().lower()
    for option in item.options:
        if option.label.lower() == low or (option.id is not None and option.id.lower() == low):
            return option
    return None


def applies(item: Item, channel: str) -> bool:
    return not item.channels or channel.lower() in {c.lower() for c in item.channels}


# --------------------------------------------------------------------------- visits


@dataclass
class VisitScores:
    """Scores of many visits; arrays are aligned with ``visit_ids``."""

    visit_ids: list[str]
    item_ids: list[str]
    section_ids: list[str]
    earned: np.ndarray          # visits × items
    possible: np.ndarray        # visits × items
    failed: np.ndarray          # visits × items (bool): a scored answer below its pass points
    scored: np.ndarray          # visits × items (bool): the item counted (possible > 0, or bonus answered)
    na: np.ndarray              # visits × items (bool)
    section_earned: np.ndarray  # visits × sections
    section_possible: np.ndarray
    section_score: np.ndarray   # % (NaN = no score)
    raw_score: np.ndarray       # % before caps
    score: np.ndarray           # % after the 100 % cap and critical caps
    critical_fail: np.ndarray   # bool: a critical item with action "fail" failed
    critical_capped: np.ndarray  # bool: a critical cap lowered the score
    critical_items: list[list[str]]  # per visit: ids of failed critical items
    passed: np.ndarray          # bool
    band: list[str | None]
    tier: list[str | None]

    def __len__(self) -> int:
        return len(self.visit_ids)

    def status(self, i: int) -> str:
        if self.critical_fail[i]:
            return "failed — critical"
        return "pass" if self.passed[i] else "fail"


def score_visits(prog: ProgrammeFile, answers: pd.DataFrame, channels: pd.Series | list[str],
                 visit_ids: list[str]) -> VisitScores:
    """Score visits. ``answers``: one column per item id (text, '' = not answered)."""
    sections = prog.questionnaire.sections
    pairs = prog.questionnaire.items()
    n = len(visit_ids)
    n_items = len(pairs)
    channels = pd.Series(list(channels), dtype=object).astype(str).str.lower().to_numpy()
    earned = np.zeros((n, n_items))
    possible = np.zeros((n, n_items))
    failed = np.zeros((n, n_items), dtype=bool)
    na = np.zeros((n, n_items), dtype=bool)
    answered = np.zeros((n, n_items), dtype=bool)
    for j, (_section, item) in enumerate(pairs):
        column = answers[item.id] if item.id in answers else pd.Series([""] * n)
        codes, uniques = pd.factorize(column.fillna("").astype(str), use_na_sentinel=False)
        threshold = prog.threshold(item) if item.type == "numeric" else None
        table = []
        for value in uniques:
            try:
                table.append(parse_answer(item, value, threshold))
            except AnswerError:
                table.append(Points(0.0, 0.0, False, False, False))  # invalid answers are rejected at intake
        e = np.array([p.earned for p in table])[codes]
        p = np.array([p.possible for p in table])[codes]
        f = np.array([p.failed for p in table])[codes]
        a = np.array([p.answered for p in table])[codes]
        nn = np.array([p.na for p in table])[codes]
        # Unanswered optional items and N/A give 0/0 (parse_answer); so do items of other channels.
        if item.channels:
            live = np.isin(channels, [c.lower() for c in item.channels])
        else:
            live = np.ones(n, dtype=bool)
        scored_answer = a & ~nn & live
        earned[:, j] = np.where(scored_answer, e, 0.0)
        possible[:, j] = np.where(scored_answer, p, 0.0)
        failed[:, j] = scored_answer & f & (item.type != "text")
        na[:, j] = nn & live
        answered[:, j] = a & live
    is_bonus = np.array([item.bonus for _s, item in pairs])
    is_text = np.array([item.type == "text" for _s, item in pairs])
    scored = (possible > 0) | (answered & ~na & is_bonus[None, :])
    scored &= ~is_text[None, :]

    # Sections.
    section_index = {s.id: k for k, s in enumerate(sections)}
    membership = np.zeros((n_items, len(sections)))
    for j, (section, _item) in enumerate(pairs):
        membership[j, section_index[section.id]] = 1.0
    sec_earned = earned @ membership
    sec_possible = possible @ membership
    with np.errstate(invalid="ignore", divide="ignore"):
        sec_score = np.where(sec_possible > 0, 100.0 * sec_earned / sec_possible, np.nan)
    if prog.scoring.cap:
        sec_score = np.minimum(sec_score, 100.0)

    # Visit score.
    if prog.scoring.method == "pooled":
        total_possible = possible.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.where(total_possible > 0, 100.0 * earned.sum(axis=1) / total_possible, np.nan)
    else:
        weights = np.array([s.weight or 0.0 for s in sections])
        has = ~np.isnan(sec_score)
        w = np.where(has, weights[None, :], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.where(w.sum(axis=1) > 0, np.nansum(np.where(has, sec_score, 0.0) * w, axis=1) / w.sum(axis=1),
                           np.nan)
    score = np.minimum(raw, 100.0) if prog.scoring.cap else raw.copy()

    # Critical items.
    critical_fail = np.zeros(n, dtype=bool)
    critical_capped = np.zeros(n, dtype=bool)
    critical_items: list[list[str]] = [[] for _ in range(n)]
    for j, (_section, item) in enumerate(pairs):
        if item.critical is None:
            continue
        hit = failed[:, j]
        if not hit.any():
            continue
        for i in np.flatnonzero(hit):
            critical_items[i].append(item.id)
        if item.critical.action == "fail":
            critical_fail |= hit
        else:
            cap = float(item.critical.cap)  # type: ignore[arg-type]
            lowered = hit & (score > cap)
            critical_capped |= lowered
            score = np.where(hit, np.minimum(score, cap), score)

    # Points are decimals (0.1 + 0.2…): round away floating-point dust so that a visit
    # printed as 90.0 % is judged as 90 %, at every band and pass-mark boundary.
    score = np.round(score, 9)
    raw = np.round(raw, 9)
    sec_score = np.round(sec_score, 9)
    passed = (score >= prog.scoring.pass_mark) & ~critical_fail & ~np.isnan(score)
    bands = [band_of(prog, s) for s in score]
    tiers = [prog.service_standards.tiers.tier(None if math.isnan(s) else s) for s in score]
    return VisitScores(list(visit_ids), [i.id for _s, i in pairs], [s.id for s in sections], earned, possible,
                       failed, scored, na, sec_earned, sec_possible, sec_score, raw, score, critical_fail,
                       critical_capped, critical_items, passed, bands, tiers)


def band_of(prog: ProgrammeFile, score: float) -> str | None:
    if score is None or math.isnan(score):
        return None
    for band in prog.scoring.bands:   # sorted from the highest minimum down
        if score >= band.min:
            return band.name
    return None
