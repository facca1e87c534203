"""Programme results from scored visits: locations per wave, regions, channels, the
programme, pass rates, bands, section and item pass rates, response-time compliance,
changes against the previous wave and the consecutive-failure flag (METHODS.md §5).

Definitions where METHODS.md leaves room (docs/mystery-shopping.md):
- location, region, channel and programme scores for a wave are the mean of the visit
  scores in it; pass rate is the share of those visits that passed;
- a location *fails* a wave when its wave score is below the pass mark; it is flagged when
  it failed the wave and the wave before it;
- a section passes on a visit when its score reaches the pass mark; an item passes when its
  answer earns its pass points (items that were N/A or not asked are left out);
- a visit that failed on a critical item has no score band: the bands table counts it on a
  row of its own ("failed — critical"), so a critically failed visit is never "Good".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxreport.shop.programme import ProgrammeFile
from cxreport.shop.scoring import VisitScores

#: The status of a visit failed on a critical item, also the name of its row in the bands.
CRITICAL_STATUS = "failed — critical"


class Rows:
    """The rows of a data frame, each as ``frame.iloc[i]`` gives it (the same values: numpy
    scalars, or the extension array's own, e.g. a ``str`` of an Arrow string column), read
    column by column. ``frame.iloc[i]`` builds a Series of every column of a wide frame; the
    shop reports' contexts took a visit's fields that way a dozen times per visit, most of the
    time the command spent before its first report (docs/performance.md)."""

    def __init__(self, frame: pd.DataFrame):
        if frame.columns.has_duplicates:
            raise ValueError("a frame with duplicate column names")
        self.columns = {name: frame[name].array for name in frame.columns}
        self.n = len(frame)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i) -> "Row":
        i = int(i)
        if not -self.n <= i < self.n:
            raise IndexError(f"row {i} of {self.n}")
        return Row(self.columns, i + self.n if i < 0 else i)


class Row:
    """One row of :class:`Rows`: ``row[column]`` and ``row.get(column, default)``, as a Series row."""

    __slots__ = ("_columns", "_i")

    def __init__(self, columns: dict, i: int):
        self._columns, self._i = columns, i

    def __getitem__(self, name):
        return self._columns[name][self._i]

    def get(self, name, default=None):
        column = self._columns.get(name)
        return default if column is None else column[self._i]


def rows(frame: "pd.DataFrame | Rows") -> Rows:
    """``frame`` as :class:`Rows` (itself when it already is)."""
    return frame if isinstance(frame, Rows) else Rows(frame)


@dataclass
class ProgrammeResults:
    prog: ProgrammeFile
    visits: pd.DataFrame            # one row per accepted visit, with its score
    scores: VisitScores
    waves: list[str]                # wave ids with visits, in programme order
    location_waves: pd.DataFrame    # location × wave
    groups: dict[str, pd.DataFrame]  # "region", "channel", "programme" → group × wave
    sections: pd.DataFrame          # section × wave: mean score, pass rate
    items: pd.DataFrame             # item × wave: pass rate, n
    bands: pd.DataFrame             # wave × band: visits, %
    response_times: pd.DataFrame    # standard × wave: n, met, % met, median

    def wave_name(self, wave_id: str) -> str:
        wave = self.prog.wave(wave_id)
        return wave.name if wave else wave_id

    def latest_wave(self) -> str | None:
        return self.waves[-1] if self.waves else None

    # Worked out once per results (they are not changed after analyse()): every report asks.

    @functools.cached_property
    def visit_rows(self) -> Rows:
        """``visits`` row by row (:class:`Rows`)."""
        return Rows(self.visits)

    @functools.cached_property
    def location_history(self) -> dict[str, dict]:
        """Per location, over the waves reported: the waves it failed (its wave score below the
        pass mark) and the waves it was flagged in (failed after failing the wave before)."""
        out: dict[str, dict] = {}
        for r in self.location_waves.itertuples():
            h = out.setdefault(r.location_id, {"failed": [], "flagged": []})
            if r.failed:
                h["failed"].append(r.wave)
            if r.consecutive_fail:
                h["flagged"].append(r.wave)
        return out


def analyse(prog: ProgrammeFile, frame: pd.DataFrame, scores: VisitScores) -> ProgrammeResults:
    locations = {loc.id: loc for loc in prog.location_list}
    order = {w.id: k for k, w in enumerate(prog.waves)}
    visits = pd.DataFrame({
        "row": frame["row"].to_numpy() if "row" in frame else np.arange(len(frame)),
        "visit_id": frame["visit_id"].to_numpy(),
        "location_id": frame["location_id"].to_numpy(),
        "wave": frame["wave"].to_numpy(),
        "channel": frame["channel"].to_numpy(),
        "visit_date": frame["visit_date"].to_numpy(),
        "shopper_id": frame["shopper_id"].to_numpy(),
        "score": scores.score,
        "raw_score": scores.raw_score,
        "passed": scores.passed,
        "critical_fail": scores.critical_fail,
        "status": [scores.status(i) for i in range(len(scores))],
        "band": scores.band,
        "tier": scores.tier,
    })
    visits["location"] = [locations[x].name if x in locations else x for x in visits["location_id"]]
    visits["region"] = [locations[x].region if x in locations else "" for x in visits["location_id"]]
    visits["wave_order"] = visits["wave"].map(order)
    for k, sid in enumerate(scores.section_ids):
        visits[f"section:{sid}"] = scores.section_score[:, k]
    waves = [w.id for w in prog.waves if (visits["wave"] == w.id).any()]
    pass_mark = prog.scoring.pass_mark

    # Locations per wave.
    lw = (visits.groupby(["location_id", "wave"], sort=False)
          .agg(visits=("score", "size"), score=("score", "mean"), pass_rate=("passed", "mean"),
               critical=("critical_fail", "sum"))
          .reset_index())
    lw["pass_rate"] *= 100
    lw["wave_order"] = lw["wave"].map(order)
    lw = lw.sort_values(["location_id", "wave_order"]).reset_index(drop=True)
    lw["failed"] = lw["score"] < pass_mark
    lw["location"] = [locations[x].name if x in locations else x for x in lw["location_id"]]
    lw["region"] = [locations[x].region if x in locations else "" for x in lw["location_id"]]
    lw["channel"] = [locations[x].channel if x in locations else "" for x in lw["location_id"]]
    prev_score, prev_failed = [], []
    all_waves = [w.id for w in prog.waves]          # the programme's order, visited or not
    wave_index = {w: k for k, w in enumerate(all_waves)}
    by_key = {(r.location_id, r.wave): r for r in lw.itertuples()}
    for r in lw.itertuples():
        k = wave_index[r.wave]
        prev = by_key.get((r.location_id, all_waves[k - 1])) if k > 0 else None
        prev_score.append(prev.score if prev is not None else np.nan)
        prev_failed.append(bool(prev.failed) if prev is not None else False)
    lw["previous_score"] = prev_score
    lw["change"] = lw["score"] - lw["previous_score"]
    lw["consecutive_fail"] = lw["failed"] & np.array(prev_failed, dtype=bool)
    for sid in scores.section_ids:
        means = visits.groupby(["location_id", "wave"])[f"section:{sid}"].mean()
        lw[f"section:{sid}"] = [means.get((a, b), np.nan) for a, b in zip(lw["location_id"], lw["wave"])]

    # Regions, channels, programme.
    groups = {}
    for key in ("region", "channel"):
        g = (visits.groupby([key, "wave"]).agg(visits=("score", "size"), score=("score", "mean"),
                                                pass_rate=("passed", "mean")).reset_index())
        g["pass_rate"] *= 100
        g["wave_order"] = g["wave"].map(order)
        groups[key] = g.sort_values([key, "wave_order"]).reset_index(drop=True)
    p = visits.groupby("wave").agg(visits=("score", "size"), score=("score", "mean"),
                                   pass_rate=("passed", "mean"), critical=("critical_fail", "sum")).reset_index()
    p["pass_rate"] *= 100
    p["wave_order"] = p["wave"].map(order)
    p = p.sort_values("wave_order").reset_index(drop=True)
    previous = {w: all_waves[k - 1] if k > 0 else None for k, w in enumerate(all_waves)}
    by_wave = dict(zip(p["wave"], p["score"]))
    p["change"] = [s - by_wave[previous[w]] if previous[w] in by_wave else np.nan for w, s in zip(p["wave"], p["score"])]
    groups["programme"] = p

    # Sections.
    rows = []
    for k, section in enumerate(prog.questionnaire.sections):
        for wave in waves:
            mask = (visits["wave"] == wave).to_numpy()
            values = scores.section_score[mask, k]
            values = values[~np.isnan(values)]
            rows.append({"section": section.id, "title": section.title, "wave": wave, "n": len(values),
                         "score": float(values.mean()) if len(values) else np.nan,
                         "pass_rate": float((values >= pass_mark).mean() * 100) if len(values) else np.nan})
    sections = pd.DataFrame(rows)

    # Items.
    rows = []
    pairs = prog.questionnaire.items()
    for j, (section, item) in enumerate(pairs):
        if item.type == "text":
            continue
        for wave in waves:
            mask = (visits["wave"] == wave).to_numpy() & scores.scored[:, j]
            n = int(mask.sum())
            fails = int((scores.failed[:, j] & mask).sum())
            rows.append({"item": item.id, "text": item.text, "section": section.id, "wave": wave, "n": n,
                         "failed": fails, "pass_rate": (100.0 * (n - fails) / n) if n else np.nan,
                         "critical": item.critical is not None, "bonus": item.bonus})
    items = pd.DataFrame(rows)

    # Bands. A visit that failed on a critical item has no score band (it fails outright,
    # METHODS.md §5): it is counted on a row of its own, "failed — critical", which appears
    # when the programme has such visits; the rows of a wave add up to its visits.
    names = [b.name for b in prog.scoring.bands]
    if visits["critical_fail"].any():
        names.append(CRITICAL_STATUS)
    rows = []
    for wave in waves:
        in_wave = visits[visits["wave"] == wave]
        shown = np.where(in_wave["critical_fail"].to_numpy(dtype=bool), CRITICAL_STATUS,
                         in_wave["band"].to_numpy(dtype=object))
        for name in names:
            count = int((shown == name).sum())
            rows.append({"wave": wave, "band": name, "visits": count,
                         "pct": 100.0 * count / len(in_wave) if len(in_wave) else np.nan})
    bands = pd.DataFrame(rows)

    # Response-time compliance by channel.
    rows = []
    for j, (_section, item) in enumerate(pairs):
        if item.type != "numeric" or not item.standard:
            continue
        standard = prog.service_standards.response_times[item.standard]
        column = frame[item.id] if item.id in frame else pd.Series([""] * len(frame))
        values = pd.to_numeric(column.replace("", np.nan), errors="coerce").to_numpy(dtype=float)
        for wave in waves + ["all"]:
            mask = ~np.isnan(values) & ((visits["wave"] == wave).to_numpy() if wave != "all" else True)
            n = int(mask.sum())
            met = int((values[mask] <= standard.max).sum())
            rows.append({"standard": item.standard, "label": standard.label or item.standard,
                         "channel": standard.channel, "unit": standard.unit, "max": standard.max, "item": item.id,
                         "wave": wave, "n": n, "met": met, "pct_met": 100.0 * met / n if n else np.nan,
                         "median": float(np.median(values[mask])) if n else np.nan})
    response_times = pd.DataFrame(rows)

    return ProgrammeResults(prog, visits, scores, waves, lw, groups, sections, items, bands, response_times)
