"""Mystery-shop reports: a scoresheet per visit, a report per location, the programme
summary. Contexts are plain data built here; templates only lay them out.

The reports render in parallel on the executor (:mod:`cxreport.executor`: a process pool
whose workers import WeasyPrint once and are recycled after a number of tasks so memory
stays flat, or a Dask cluster), with a progress bar on stderr, a time limit per item,
``manifest.json`` and skipping of unchanged reports. The workers keep the templates and the
parsed stylesheet between documents and draw the charts (:mod:`cxreport.shop.rendering`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from cxreport import __version__, i18n
from cxreport.errors import CxError
from cxreport.i18n import N_, _, ngettext
from cxreport.masking import mask_personal_data
from cxreport.present.formatting import num, pct, round_half_away, signed  # noqa: F401  (round_half_away: re-exported)
from cxreport.shop.intake import visit_file_stem
from cxreport.shop.evidence import unlisted
from cxreport.shop.analysis import CRITICAL_STATUS, ProgrammeResults, Rows, rows
from cxreport.shop.commands import results as programme_results
from cxreport.shop.ledger import Ledger
from cxreport.shop.programme import ProgrammeFile
from cxreport.shop.rendering import Later
from cxreport.shop.scoring import NA_WORDS, NO_WORDS, YES_WORDS

#: Scoring methods and response-time units (fixed words of the programme file), in words.
METHOD_WORDS = {"pooled": N_("pooled points"), "section_weighted": N_("section-weighted")}
TIME_UNITS = (N_("seconds"), N_("minutes"), N_("hours"))

#: One precision per measure, rounded half away from zero (:func:`round_half_away`) before a
#: template prints it: scores (visit, location, region, channel, programme, section) to one
#: decimal in tables and sentences, whole points in the heatmap's cells; pass rates and
#: shares whole. A change printed beside two scores is the difference of the printed scores.
SCORE_DECIMALS = 1
HEAT_DECIMALS = 0
RATE_DECIMALS = 0

#: A location ranked on fewer visits than this is marked (*) in every ranking.
FULL_BASE_VISITS = 3
#: z for the 95 % level of the ranking caveat.
Z95 = 1.96

#: Channel codes of the programme file, as reports name them (other codes: the code as a word).
CHANNEL_WORDS = {"branch": N_("Branch"), "phone": N_("Phone"), "email": N_("E-mail"), "e-mail": N_("E-mail"),
                 "chat": N_("Chat"), "social": N_("Social media"), "video": N_("Video call"),
                 "letter": N_("Letter"), "web": N_("Website"), "app": N_("App")}

#: How reports name the status of a visit that failed on a critical item (analysis.CRITICAL_STATUS)
#: where a band would stand: such a visit has no score band and no service tier.
CRITICAL_BAND = N_("Failed — critical")


def channel_label(code) -> str:
    """A channel code as reports show it: 'email' → 'E-mail' (translated); a code the
    programme uses that is not a known channel, as a word ('video_call' → 'Video call')."""
    text = _text(code)
    if not text:
        return ""
    word = CHANNEL_WORDS.get(text.lower())
    if word:
        return _(word)
    text = re.sub(r"[_\s]+", " ", text).strip()
    return text[:1].upper() + text[1:]


def band_label(band, status: str | None = None) -> str | None:
    """The band a report prints: none for a visit that failed on a critical item (METHODS.md
    §5: it fails outright, its score still reported), else the band of its (capped) score."""
    if status == CRITICAL_STATUS or band == CRITICAL_STATUS:
        return _(CRITICAL_BAND)
    return _text(band) or None


def _r(value, decimals: int) -> float | None:
    """A figure rounded as it is printed (half away from zero); None when missing."""
    value = _num(value)
    return None if value is None else round_half_away(value, decimals)


def _shown_change(score, previous) -> float | None:
    """The change printed beside two scores: the difference of the printed scores."""
    a, b = _r(score, SCORE_DECIMALS), _r(previous, SCORE_DECIMALS)
    return None if a is None or b is None else round_half_away(a - b, SCORE_DECIMALS)


def _and(words: list[str]) -> str:
    """'W1', 'W1 and W2', 'W1, W2 and W3' in the report's language."""
    if len(words) <= 1:
        return "".join(words)
    return _(", ").join(words[:-1]) + _(" and ") + words[-1]


def _num(value) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def visit_date(value) -> dt.date | str:
    """A visit's date (the ledger keeps it as ISO text) as a date, for the report's long
    date format; text that is not an ISO date is shown as written."""
    text = _text(value)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return text


def _text(value) -> str:
    """A cell as text; missing (None/NaN) is empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _points(x: float) -> str:
    x = round_half_away(float(x), 1)
    return f"{x:g}" if float(x).is_integer() else num(x, 1)


def points_text(earned: float, possible: float, bonus: float = 0.0) -> str:
    """Points as 'earned / possible', bonus points apart: '5 / 5 + 1 bonus' — never '6 / 5'
    (bonus points add to earned points only, METHODS.md §5)."""
    text = f"{_points(earned)} / {_points(possible)}"
    if bonus > 0:
        text += " " + _("+ {n} bonus").format(n=_points(bonus))
    return text


def mask_shopper(shopper_id: str) -> str:
    """Shopper ids are masked on everything a location sees: 'SH-104' → 'SH-••4'.

    A leading non-digit prefix of up to four characters stays; of the rest only the last
    character shows.
    """
    text = str(shopper_id)
    match = re.match(r"^([^\d]{0,4})(.*)$", text)
    prefix, rest = (match.group(1), match.group(2)) if match else ("", text)
    if len(rest) < 2:
        prefix, rest = "", text
    if len(rest) <= 1:
        return "•" * len(rest)
    return prefix + "•" * (len(rest) - 1) + rest[-1]


def heat_class(score: float | None) -> str:
    """A colour step for heatmap cells (decided here, not in the template)."""
    if score is None:
        return "h-none"
    for limit in (95, 90, 85, 80, 70, 60):
        if score >= limit:
            return f"h-{limit}"
    return "h-0"


def _slug(text: str) -> str:
    """A file-name part for a visit or location id, unique by construction: a plain id as it
    is; any other a bounded slug and a hash of the id (``V 1`` never meets ``V-1``)."""
    from cxreport.shop.intake import visit_file_stem

    return visit_file_stem(str(text))


def base_context(prog: ProgrammeFile, title: str, subtitle: str | None = None) -> dict:
    from cxreport.present.render import logo_data_uri

    return {
        "version": __version__,
        "lang": prog.programme.language,
        "client": {"name": prog.programme.client.name},
        "brand": {"primary": prog.programme.brand.primary, "accent": prog.programme.brand.accent,
                  "font": prog.programme.brand.font},
        "report": {"title": title, "subtitle": subtitle, "prepared_by": prog.programme.prepared_by,
                   "date": dt.date.today(), "confidentiality": prog.programme.confidentiality},
        "programme": {"name": prog.programme.name, "pass_mark": prog.scoring.pass_mark,
                      "method": _(METHOD_WORDS.get(prog.scoring.method, prog.scoring.method)),
                      "version": prog.questionnaire.version,
                      "bands": [{"name": b.name, "min": b.min} for b in prog.scoring.bands],
                      "tiers": prog.service_standards.tiers.model_dump()},
        "logo": logo_data_uri(prog.programme.client.logo),
    }


# --------------------------------------------------------------------------- scoresheet


def _answer_display(item, value: str) -> str:
    """An answer as the scoresheet shows it: option labels for ticked boxes, the unit after a
    number, and the fixed words (yes, no, N/A) in the report's language."""
    low = value.lower()
    if low in NA_WORDS:
        return _("N/A")
    if item.type == "yes_no" and low in YES_WORDS | NO_WORDS:
        word = _("yes") if low in YES_WORDS else _("no")
        return word[:1].upper() + word[1:]           # "Yes", as an option label reads ("Unlikely")
    if item.type == "multi_check" and value:
        labels = []
        for part in value.split(";"):
            part = part.strip()
            match = next((o for o in item.options if (o.id or "").lower() == part.lower()
                          or o.label.lower() == part.lower()), None)
            labels.append(match.label if match else part)
        return "; ".join(labels)
    if item.type == "numeric" and value and item.unit:
        return f"{value} {item.unit}"
    return value


def item_state(item, answered: bool, na: bool, earned: float, possible: float, critical_failed: bool) -> str:
    """An item's result on a scoresheet, one rule for every item type: *pass* when the answer
    earns all the item's points, *partial* when some, *fail* when none — or when it failed a
    critical item. (Item pass rates and the comment rule count an answer as failed below the
    item's pass points, which the programme may set lower than all its points.) Bonus items
    are *bonus* or *nobonus*; N/A, text and unanswered items have no result."""
    if na:
        return "na"
    if item.type == "text":
        return "info"
    if not answered:
        return "unanswered"
    if item.bonus:
        return "bonus" if earned > 0 else "nobonus"
    if critical_failed or (possible > 0 and earned <= 0):
        return "fail"
    if earned >= possible:
        return "pass"
    return "partial"


def _critical_notes(prog: ProgrammeFile, scores, rows) -> list[str]:
    """Why the visits ``rows`` (indices into the scores) score or stand as they do: each
    critical item that lowered a score by its cap, or failed a visit outright, with how many
    of the visits it hit — said wherever such a score is shown."""
    rows = list(rows)
    n = len(rows)
    hits: dict[tuple[str, str, float | None], int] = {}
    for i in rows:
        for item_id in scores.critical_items[i]:
            item = prog.questionnaire.item(item_id)
            if item is None or item.critical is None:
                continue
            if item.critical.action == "cap" and not scores.critical_capped[i]:
                continue                              # the score was already below the cap: nothing changed
            key = (item_id, item.critical.action, item.critical.cap)
            hits[key] = hits.get(key, 0) + 1
    notes = []
    for (item_id, action, cap), k in sorted(hits.items()):
        if n == 1:                                    # one visit: no count
            notes.append(_("capped at {cap} — critical item {item} failed").format(cap=pct(cap), item=item_id)
                         if action == "cap" else _("failed outright on critical item {item}").format(item=item_id))
        elif action == "cap":
            text = ngettext("capped at {cap} — critical item {item} failed ({k} of {n} visit)",
                            "capped at {cap} — critical item {item} failed ({k} of {n} visits)", n)
            notes.append(text.format(cap=pct(cap), item=item_id, k=k, n=n))
        else:
            text = ngettext("failed outright on critical item {item} ({k} of {n} visit)",
                            "failed outright on critical item {item} ({k} of {n} visits)", n)
            notes.append(text.format(item=item_id, k=k, n=n))
    return notes


def scoresheet_context(prog: ProgrammeFile, res: ProgrammeResults, frame: pd.DataFrame | Rows, i: int,
                       evidence: dict | None = None, followup: dict | None = None) -> dict:
    """``frame``: the accepted visits' answers, aligned with ``res.visits`` (or its :class:`Rows`);
    ``evidence``: item id → the visit's evidence files (shop.evidence.evidence_by_visit);
    ``followup``: shop.followup.report_data (the visit's appeals)."""
    scores = res.scores
    visit = res.visit_rows[i]
    rec = rows(frame)[i]
    locations = {loc.id: loc for loc in prog.location_list}
    loc = locations.get(visit["location_id"])
    wave = prog.wave(visit["wave"])
    ctx = base_context(prog, _("Mystery shop scoresheet"), loc.name if loc else visit["location_id"])
    sections = []
    pairs = prog.questionnaire.items()
    by_section: dict[str, list] = {}
    bonus_by_section: dict[str, float] = {}
    for j, (section, item) in enumerate(pairs):
        value = _text(rec.get(item.id))
        live = not item.channels or visit["channel"] in [c.lower() for c in item.channels]
        if not live:
            continue
        earned, possible = float(scores.earned[i, j]), float(scores.possible[i, j])
        critical_failed = item.id in scores.critical_items[i]
        state = item_state(item, bool(value), bool(scores.na[i, j]), earned, possible, critical_failed)
        if item.bonus:
            bonus_by_section[section.id] = bonus_by_section.get(section.id, 0.0) + earned
            points = "+" + _points(earned) if earned > 0 else "0"
        else:
            points = points_text(earned, possible)
        by_section.setdefault(section.id, []).append({
            "id": item.id, "text": item.text, "answer": _answer_display(item, value) or "—",
            "earned": earned, "possible": possible, "points": points,
            "state": state, "bonus": item.bonus, "critical": item.critical is not None,
            "critical_failed": critical_failed,
            "comment": mask_personal_data(_text(rec.get(f"{item.id}__comment")), prog.programme.mask_names),
            # The evidence field less the stored files shown beside it (thumbnails, named lines).
            "evidence": mask_personal_data(unlisted(_text(rec.get(f"{item.id}__evidence")),
                                                    (evidence or {}).get(item.id, [])), prog.programme.mask_names),
            "files": [dict(f, name=mask_personal_data(f["name"], prog.programme.mask_names))
                      for f in (evidence or {}).get(item.id, [])],       # names masked like the field
        })
    for k, section in enumerate(prog.questionnaire.sections):
        bonus = bonus_by_section.get(section.id, 0.0)
        base = points_text(float(scores.section_earned[i, k]) - bonus, float(scores.section_possible[i, k]))
        sections.append({"id": section.id, "title": section.title,
                         "points": points_text(float(scores.section_earned[i, k]) - bonus,
                                               float(scores.section_possible[i, k]), bonus),
                         "base_points": base, "bonus": _("+ {n} bonus").format(n=_points(bonus)) if bonus > 0 else "",
                         "score": _r(scores.section_score[i, k], SCORE_DECIMALS),
                         "rows": by_section.get(section.id, [])})
    critical = []
    for item_id in scores.critical_items[i]:
        item = prog.questionnaire.item(item_id)
        critical.append({"id": item_id, "text": item.text, "action": item.critical.action,
                         "cap": item.critical.cap})
    status = visit["status"]
    failed_critical = status == CRITICAL_STATUS
    tier = _text(visit["tier"]) or None          # None (below basic) arrives as NaN from the frame
    ctx.update({
        "visit": {
            "id": visit["visit_id"], "location": loc.name if loc else visit["location_id"],
            "location_id": visit["location_id"], "region": loc.region if loc else "",
            "channel": channel_label(visit["channel"]), "wave": wave.name if wave else visit["wave"],
            "date": visit_date(visit["visit_date"]), "start": _text(rec.get("start_time")),
            "end": _text(rec.get("end_time")),
            "shopper": mask_shopper(visit["shopper_id"]), "manager": loc.manager if loc else "",
            "score": _r(visit["score"], SCORE_DECIMALS), "raw_score": _r(min(visit["raw_score"], 100.0) if prog.scoring.cap else visit["raw_score"],
                                           SCORE_DECIMALS),
            "status": status, "passed": bool(visit["passed"]),
            "band": band_label(visit["band"], status),
            # A visit that failed on a critical item has no service tier either.
            "tier": None if failed_critical else tier,
            "tier_label": _("none") if failed_critical else (_(tier) if tier else _("below basic")),
            "capped": bool(scores.critical_capped[i]),
            "comments": mask_personal_data(_text(rec.get("comments")), prog.programme.mask_names),
        },
        "sections": sections,
        "critical": critical,
    })
    from cxreport.shop.followup import annotate_scoresheet

    annotate_scoresheet(prog, ctx, followup, int(visit["row"]))      # appeals: original and upheld answers
    return ctx


# --------------------------------------------------------------------------- location


def _visit_comments(prog: ProgrammeFile, res: ProgrammeResults, frame: pd.DataFrame | Rows, which) -> list[dict]:
    """The shoppers' comments on visits ``which`` (row numbers): visits below the pass mark (or failed on a
    critical item) first, then the others, newest first in each — so a report quotes its
    failing visits as well as its good ones. A visit's general comment and the comments on
    its failed items (a failing visit without a general comment is quoted by those)."""
    pairs = prog.questionnaire.items()
    records, v = rows(frame), res.visit_rows
    out = []
    for i in which:
        rec = records[i]
        general = mask_personal_data(_text(rec.get("comments")), prog.programme.mask_names)
        items = []
        for j, (_section, item) in enumerate(pairs):
            if res.scores.failed[i, j]:
                text = mask_personal_data(_text(rec.get(f"{item.id}__comment")), prog.programme.mask_names)
                if text:
                    items.append({"id": item.id, "text": text})
        if not general and not items:
            continue
        visit = v[i]
        out.append({"visit": visit["visit_id"], "date": visit_date(visit["visit_date"]),
                    "wave": visit["wave"], "score": _r(visit["score"], SCORE_DECIMALS),
                    "status": visit["status"], "passed": bool(visit["passed"]),
                    "text": general, "failed_items": items, "_when": _text(visit["visit_date"])})
    out.sort(key=lambda c: (c["_when"], str(c["visit"])), reverse=True)     # newest first …
    out.sort(key=lambda c: c["passed"])                                      # … failing visits before the others
    for c in out:
        del c["_when"]
    return out


def location_context(prog: ProgrammeFile, res: ProgrammeResults, frame: pd.DataFrame | Rows, location_id: str,
                     charts_style, *, narrow: bool = False, followup: dict | None = None, later: bool = False) -> dict:
    """``later``: the chart as a :class:`~cxreport.shop.rendering.Later`, drawn by the worker
    that renders the report (``narrow`` is then the worker's choice)."""
    from cxreport.shop import charts as shop_charts

    loc = next(l for l in prog.location_list if l.id == location_id)
    ctx = base_context(prog, _("Location report"), loc.name)
    lw = res.location_waves[res.location_waves["location_id"] == location_id]
    latest = res.latest_wave()
    region_rows = res.groups["region"]
    prog_rows = res.groups["programme"]
    v = res.visits
    # The visits' columns as arrays, compared once (a filter of the frame per wave and section was
    # most of the time this function took).
    at_location = v["location_id"].to_numpy() == location_id
    visit_waves = v["wave"].to_numpy()
    waves = []
    for wave_id in res.waves:
        row = lw[lw["wave"] == wave_id]
        reg = region_rows[(region_rows["region"] == loc.region) & (region_rows["wave"] == wave_id)]
        pr = prog_rows[prog_rows["wave"] == wave_id]
        here = np.flatnonzero(at_location & (visit_waves == wave_id))
        waves.append({"id": wave_id, "name": res.wave_name(wave_id),
                      "visits": int(row["visits"].iloc[0]) if len(row) else 0,
                      "score": _r(row["score"].iloc[0], SCORE_DECIMALS) if len(row) else None,
                      "pass_rate": _r(row["pass_rate"].iloc[0], RATE_DECIMALS) if len(row) else None,
                      "change": _shown_change(row["score"].iloc[0], row["previous_score"].iloc[0]) if len(row) else None,
                      "failed": bool(row["failed"].iloc[0]) if len(row) else False,
                      "flag": bool(row["consecutive_fail"].iloc[0]) if len(row) else False,
                      "notes": _critical_notes(prog, res.scores, here),
                      "region": _r(reg["score"].iloc[0], SCORE_DECIMALS) if len(reg) else None,
                      "programme": _r(pr["score"].iloc[0], SCORE_DECIMALS) if len(pr) else None})
    history = res.location_history.get(location_id, {"failed": [], "flagged": []})
    failed_names = [res.wave_name(w) for w in history["failed"]]
    # Sections in the latest wave against the region and the programme.
    in_latest = visit_waves == latest
    in_region = in_latest & (v["region"].to_numpy() == loc.region)
    sections = []
    for section in prog.questionnaire.sections:
        col = v[f"section:{section.id}"].to_numpy()
        own = pd.Series(col[in_latest & at_location]).mean()
        reg = pd.Series(col[in_region]).mean()
        allv = pd.Series(col[in_latest]).mean()
        sections.append({"title": section.title, "own": _r(own, SCORE_DECIMALS), "region": _r(reg, SCORE_DECIMALS),
                         "programme": _r(allv, SCORE_DECIMALS)})
    # Item failures across the location's visits in the latest wave.
    mask = in_latest & at_location
    failures = []
    for j, (_section, item) in enumerate(prog.questionnaire.items()):
        n = int((res.scores.scored[:, j] & mask).sum())
        failed = int((res.scores.failed[:, j] & mask).sum())
        if failed:
            failures.append({"id": item.id, "text": item.text, "failed": failed, "n": n,
                             "critical": item.critical is not None})
    failures.sort(key=lambda f: (-f["failed"], f["id"]))
    # Comments: every visit of the latest wave, and every earlier visit below the pass mark
    # (they are the location's history: its failed waves and flag); failing visits first.
    mine = np.flatnonzero(at_location)
    vr = res.visit_rows
    quoted = [k for k in mine if vr[k]["wave"] == latest or not vr[k]["passed"]]
    comments = _visit_comments(prog, res, frame, quoted)
    visits = []
    for idx in sorted(mine, key=lambda k: (vr[k]["wave_order"], _text(vr[k]["visit_date"]))):
        r = vr[idx]
        visits.append({"id": r["visit_id"], "wave": r["wave"], "date": visit_date(r["visit_date"]),
                       "iso": _text(r["visit_date"])[:10], "channel": channel_label(r["channel"]),
                       "score": _r(r["score"], SCORE_DECIMALS), "status": r["status"],
                       "band": band_label(r["band"], r["status"]),
                       "critical": _and(res.scores.critical_items[idx]) if res.scores.critical_fail[idx] else "",
                       "notes": _critical_notes(prog, res.scores, [idx]) if res.scores.critical_capped[idx] else []})
    chart_args = (loc.name, waves, prog.scoring.pass_mark, charts_style)
    chart = (Later("location_trend", chart_args) if later
             else shop_charts.location_trend(*chart_args, narrow=narrow))
    ctx.update({"location": {"id": loc.id, "name": loc.name, "region": loc.region,
                             "channel": channel_label(loc.channel), "manager": loc.manager},
                "latest": res.wave_name(latest) if latest else "", "waves": waves, "sections": sections,
                "failed_waves": _and(failed_names), "flagged": bool(history["flagged"]),
                "failures": failures, "comments": comments, "visits": visits, "chart": chart})
    from cxreport.shop.followup import location_part

    ctx.update(location_part(prog, followup, location_id))      # follow-up actions and appeals
    return ctx


# --------------------------------------------------------------------------- programme


def ranking_basis(res: ProgrammeResults, wave: str) -> dict:
    """What a ranking of locations in ``wave`` rests on: visits per location (fewest,
    most, all), the spread of visit scores within a location (the pooled standard deviation
    of visit scores around their location's mean) and the smallest difference between two
    locations that is more than that spread at the 95 % level for the fewest visits:
    1.96 × sd × √(2 / fewest). Differences below it are within the spread of single visits."""
    v = res.visits[(res.visits["wave"] == wave) & res.visits["score"].notna()]
    n = v.groupby("location_id")["score"].size()
    if n.empty:
        return {"fewest": 0, "most": 0, "visits": 0, "sd": None, "threshold": None}
    var = v.groupby("location_id")["score"].var(ddof=1).fillna(0.0)
    dof = int((n - 1).sum())
    sd = math.sqrt(float(((n - 1) * var).sum()) / dof) if dof > 0 else None
    fewest, most = int(n.min()), int(n.max())
    threshold = Z95 * sd * math.sqrt(2 / fewest) if sd is not None else None
    return {"fewest": fewest, "most": most, "visits": int(n.sum()), "sd": sd, "threshold": threshold}


def ranking_caveat(basis: dict, short: bool = False) -> str:
    """The sentence beside a ranking of locations: its bases and how far apart two places
    must be to mean more than the luck of the visits."""
    fewest, most = basis["fewest"], basis["most"]
    span = num(fewest) if fewest == most else f"{num(fewest)}–{num(most)}"
    ranked = ngettext("Ranked on {n} visit per location", "Ranked on {n} visits per location", most).format(n=span)
    star = _("* fewer than {m} visits.").format(m=num(FULL_BASE_VISITS)) if fewest < FULL_BASE_VISITS else ""
    if basis["threshold"] is None:
        text = _("{ranked}: each place rests on single visits, whose spread cannot be measured here; read the "
                 "ranking with care.").format(ranked=ranked)
    elif short:
        text = _("{ranked}: differences of less than {t} points are within the spread of single visits.").format(
            ranked=ranked, t=num(basis["threshold"]))
    else:
        text = _("{ranked}. Visit scores at one location differ from their mean by {sd} points (standard deviation), "
                 "so differences of less than {t} points between locations are within the spread of single visits "
                 "(95% level): read close places as ties.").format(
            ranked=ranked, sd=num(basis["sd"], 1), t=num(basis["threshold"]))
    return f"{text} {star}".strip()


def programme_context(prog: ProgrammeFile, res: ProgrammeResults, charts_style, *, narrow: bool = False,
                      followup: dict | None = None, later: bool = False) -> dict:
    """``later``: the charts as :class:`~cxreport.shop.rendering.Later`, drawn by the worker
    that renders the report (``narrow`` is then the worker's choice)."""
    from cxreport.shop import charts as shop_charts

    latest = res.latest_wave()
    # The programme's name is the cover's kicker: the title is the document and its wave.
    ctx = base_context(prog, _("Programme summary — {wave}").format(wave=res.wave_name(latest)))
    lw = res.location_waves
    v = res.visits
    history = res.location_history
    cur = lw[lw["wave"] == latest].copy()
    cur["shown"] = [_r(x, SCORE_DECIMALS) for x in cur["score"]]
    cur = cur.sort_values(["shown", "location"], ascending=[False, True], na_position="last")
    league = []
    higher = 0
    previous_shown = object()
    for k, r in enumerate(cur.itertuples()):
        if r.shown != previous_shown:
            higher, previous_shown = k, r.shown
        here = np.flatnonzero(((v["location_id"] == r.location_id) & (v["wave"] == latest)).to_numpy())
        h = history.get(r.location_id, {"failed": [], "flagged": []})
        heat = _r(r.score, HEAT_DECIMALS)
        league.append({"rank": higher + 1, "tied": False, "id": r.location_id, "name": r.location,
                       "region": r.region, "channel": channel_label(r.channel), "visits": int(r.visits),
                       "few": int(r.visits) < FULL_BASE_VISITS, "score": r.shown, "heat_score": heat,
                       "pass_rate": _r(r.pass_rate, RATE_DECIMALS), "change": _shown_change(r.score, r.previous_score),
                       "flag": bool(h["flagged"]), "flag_now": bool(r.consecutive_fail),
                       "failed": bool(r.failed), "failed_waves": list(h["failed"]), "failed_waves_text": _and(h["failed"]),
                       "notes": _critical_notes(prog, res.scores, here), "heat": heat_class(heat),
                       "sections": [{"score": _r(cur.loc[r.Index, f"section:{sec.id}"], HEAT_DECIMALS),
                                     "heat": heat_class(_r(cur.loc[r.Index, f"section:{sec.id}"], HEAT_DECIMALS))}
                                    for sec in prog.questionnaire.sections]})
    ranks = [row["rank"] for row in league]
    for row in league:
        row["tied"] = ranks.count(row["rank"]) > 1
    basis = ranking_basis(res, latest)
    p = res.groups["programme"]
    cur_p = p[p["wave"] == latest].iloc[0]
    critical = int(cur_p["critical"])
    change = None
    prev_p = p[p["wave_order"] < cur_p["wave_order"]]
    if len(prev_p) and not pd.isna(cur_p["change"]):
        change = _shown_change(cur_p["score"], cur_p["score"] - cur_p["change"])
    if change is None:
        change_text = _("first wave")
    elif change == 0:
        change_text = _("no change on the previous wave")
    else:
        change_text = _("{change} points on the previous wave").format(change=signed(change, SCORE_DECIMALS))
    # Every location flagged in a wave reported, also one that has since recovered: named,
    # then what it failed and where it stands now.
    flagged, flag_details = [], []
    for loc in prog.location_list:
        h = history.get(loc.id)
        if not h or not h["flagged"]:
            continue
        flagged.append(loc.name)
        row = next((r for r in league if r["id"] == loc.id), None)
        waves_failed = _and([res.wave_name(w) for w in h["failed"]])
        if row is not None and not row["failed"]:
            flag_details.append(_("{name} (below it in {waves}; {score} in {latest})").format(
                name=loc.name, waves=waves_failed, score=pct(row["score"], SCORE_DECIMALS), latest=res.wave_name(latest)))
        else:
            flag_details.append(_("{name} (below it in {waves})").format(name=loc.name, waves=waves_failed))
    headline = {"score": _r(cur_p["score"], SCORE_DECIMALS), "change": change, "change_text": change_text,
                "pass_rate": _r(cur_p["pass_rate"], RATE_DECIMALS), "visits": int(cur_p["visits"]),
                "critical": critical,
                "critical_text": ngettext("{n} critical failure", "{n} critical failures", critical).format(
                    n=num(critical)),
                "locations": int((lw["wave"] == latest).sum()),
                "flagged": flagged, "flag_details": flag_details}
    waves = [{"id": w, "name": res.wave_name(w)} for w in res.waves]

    def group_table(key: str) -> list[dict]:
        g = res.groups[key]
        label = channel_label if key == "channel" else (lambda x: x)
        out = []
        for name in sorted(g[key].unique(), key=lambda x: str(label(x)).casefold()):
            row = {"name": label(name) or "—", "cells": []}
            for w in res.waves:
                cell = g[(g[key] == name) & (g["wave"] == w)]
                row["cells"].append({"score": _r(cell["score"].iloc[0], SCORE_DECIMALS) if len(cell) else None,
                                     "pass_rate": _r(cell["pass_rate"].iloc[0], RATE_DECIMALS) if len(cell) else None,
                                     "visits": int(cell["visits"].iloc[0]) if len(cell) else 0})
            out.append(row)
        return out

    programme_rows = []
    shown_before = None
    for r in p.itertuples():
        shown = _r(r.score, SCORE_DECIMALS)
        programme_rows.append({"wave": res.wave_name(r.wave), "visits": int(r.visits), "score": shown,
                               "pass_rate": _r(r.pass_rate, RATE_DECIMALS),
                               "change": (round_half_away(shown - shown_before, SCORE_DECIMALS)
                                          if shown_before is not None and not pd.isna(r.change) else None),
                               "critical": int(r.critical)})
        shown_before = shown
    s = res.sections
    section_rows = []
    for section in prog.questionnaire.sections:
        cells = []
        for w in res.waves:
            c = s[(s["section"] == section.id) & (s["wave"] == w)]
            cells.append({"score": _r(c["score"].iloc[0], SCORE_DECIMALS) if len(c) else None,
                          "pass_rate": _r(c["pass_rate"].iloc[0], RATE_DECIMALS) if len(c) else None})
        section_rows.append({"title": section.title, "cells": cells})
    it = res.items[res.items["wave"] == latest].copy()
    it = it[(it["n"] > 0) & ~it["bonus"]]
    ranked = it.sort_values(["pass_rate", "item"])
    worst_items = [{"id": r.item, "text": r.text, "pass_rate": _r(r.pass_rate, RATE_DECIMALS), "n": int(r.n),
                    "critical": bool(r.critical)} for r in ranked.head(5).itertuples()]
    best_items = [{"id": r.item, "text": r.text, "pass_rate": _r(r.pass_rate, RATE_DECIMALS), "n": int(r.n),
                   "critical": bool(r.critical)} for r in ranked.iloc[::-1].head(5).itertuples()]
    bands = res.bands[res.bands["wave"] == latest]
    band_rows = [{"band": band_label(r.band), "critical": r.band == CRITICAL_STATUS, "visits": int(r.visits),
                  "pct": _r(r.pct, RATE_DECIMALS)} for r in bands.itertuples()]
    rt = res.response_times
    rt_rows = [{"label": r.label, "channel": channel_label(r.channel), "standard": f"≤ {r.max:g} {r.unit}",
                "n": int(r.n), "met": int(r.met), "pct": _r(r.pct_met, RATE_DECIMALS), "median": _r(r.median, 1),
                "unit": _(r.unit) if r.unit in TIME_UNITS else r.unit,
                "wave": res.wave_name(r.wave) if r.wave != "all" else _("All waves")}
               for r in rt[rt["wave"].isin([latest, "all"])].itertuples()] if len(rt) else []
    # Items an answer passes below all their points (the programme's pass points).
    lenient = []
    for _section, item in prog.questionnaire.items():
        if item.type != "text" and not item.bonus and item.possible and item.pass_at < item.possible:
            lenient.append(_("{item} ({k} of {n} points)").format(item=item.id, k=_points(item.pass_at),
                                                                   n=_points(item.possible)))
    latest_scores = res.visits.loc[res.visits["wave"] == latest, "score"].to_numpy(dtype=float)
    chart_args = {"distribution": (latest_scores, prog.scoring.pass_mark, [(b.name, b.min) for b in prog.scoring.bands],
                                   charts_style),
                  "trend": (programme_rows, prog.scoring.pass_mark, charts_style)}
    fns = {"distribution": "distribution", "trend": "programme_trend"}
    charts = {k: Later(fns[k], args) if later else getattr(shop_charts, fns[k])(*args, narrow=narrow)
              for k, args in chart_args.items()}
    ctx.update({"latest": res.wave_name(latest), "headline": headline, "league": league, "waves": waves,
                "section_titles": [sec.title for sec in prog.questionnaire.sections],
                "regions": group_table("region"), "channels": group_table("channel"),
                "programme_rows": programme_rows, "section_rows": section_rows,
                "best_locations": league[:5], "worst_locations": list(reversed(league[-5:])),
                "ranking": {**basis, "caveat": ranking_caveat(basis), "short": ranking_caveat(basis, short=True),
                            "full_base": FULL_BASE_VISITS},
                "best_items": best_items, "worst_items": worst_items, "bands": band_rows,
                "pass_points": _and(lenient),
                "has_bonus": any(item.bonus for _section, item in prog.questionnaire.items()),
                "response_times": rt_rows, "charts": charts})
    from cxreport.shop.followup import programme_part

    ctx.update(programme_part(prog, followup))      # follow-up actions and appeals
    return ctx


# --------------------------------------------------------------------------- rendering


def _task(template: str, context: dict, folder: str, name: str, formats, allowed) -> dict:
    return {"template": template, "context": context, "folder": folder, "name": name, "formats": list(formats),
            "allowed": [str(p) for p in allowed]}


def render_batch(tasks: list[tuple], jobs: int | None, label: str) -> list[tuple[str, str, str | None]]:
    """Render (template, context, out_dir, name, formats, allowed) tuples on the executor
    and write them; returns (name, first path, error) per task."""
    from cxreport.executor import Options, Task, run_tasks
    from cxreport.present.render import write_outputs
    from cxreport.shop.rendering import render_task

    batch = [Task(t[3], render_task, _task(t[0], t[1], "", t[3], t[4], t[5])) for t in tasks]
    folders = {t[3]: Path(t[2]) for t in tasks}
    out = []
    for o in run_tasks(batch, Options(jobs=jobs, tasks_per_worker=TASKS_PER_WORKER), label=label, preload=PRELOAD):
        if o.ok:
            paths = write_outputs(o.value["files"], folders[o.task.key])
            out.append((o.task.key, str(next(iter(paths.values()))), None))
        else:
            out.append((o.task.key, "", o.error))
    return out


#: Modules the executor's fork server imports for the shop workers (besides its own list).
PRELOAD = ("cxreport.shop.rendering", "cxreport.shop.charts", "cxreport.shop.warm")
#: Reports a shop worker renders before it is replaced: a worker's resident memory stays flat
#: (193 MB, much of it shared with the fork server) over 200 scoresheets (benchmarks/bench_shop.py);
#: a new worker starts with the templates compiled and the stylesheets parsed (cxreport.shop.warm).
TASKS_PER_WORKER = 200


def render_all(prog: ProgrammeFile, out_dir: Path, *, wave: str | None = None, scoresheets: bool = False,
               locations: bool = False, formats: tuple[str, ...] = ("html", "pdf"), jobs: int | None = None,
               options=None) -> list[tuple[str, Path]]:
    """Render the programme summary and, optionally, every location report and scoresheet
    (on the executor: ``options`` gives -j, --timeout, --executor, --force). Writes
    ``manifest.json``; items whose report context, template and format are unchanged since
    the last build, and whose files are intact, are skipped. Raises
    :class:`~cxreport.executor.BatchFailed` (exit 3) when some items failed; a programme
    summary that cannot be made fails the command (exit 1) without a manifest."""
    # Contexts are made in the programme's language; each worker draws the charts and
    # renders in the language its context names (context["lang"]).
    with i18n.use_language(prog.programme.language):
        return _render_all(prog, out_dir, wave=wave, scoresheets=scoresheets, locations=locations,
                           formats=formats, jobs=jobs, options=options)


def _render_all(prog: ProgrammeFile, out_dir: Path, *, wave: str | None, scoresheets: bool, locations: bool,
                formats: tuple[str, ...], jobs: int | None, options=None) -> list[tuple[str, Path]]:
    import dataclasses
    import time

    import matplotlib

    from cxreport import manifest
    from cxreport.errors import RenderError
    from cxreport.executor import BatchFailed, Options, Task, prestart, run_tasks
    from cxreport.present.charts import ChartStyle
    from cxreport.present.render import write_outputs
    from cxreport.shop.rendering import render_task
    from cxreport.util import sha256_file

    t0 = time.perf_counter()
    options = options or Options(jobs=jobs)
    if options.tasks_per_worker is None:
        options = dataclasses.replace(options, tasks_per_worker=TASKS_PER_WORKER)
    if scoresheets or locations:
        prestart(options, PRELOAD)      # the workers' fork server starts while the contexts are made
    started = manifest.now()
    res = programme_results(prog, wave)
    from cxreport.shop.followup import report_data

    with Ledger(prog) as ledger:
        frame = ledger.accepted_visits()
        followup = report_data(prog, ledger, list(res.waves))
    # Keep the frame aligned with the scored visits (same order, same filter).
    frame = frame.set_index("row").loc[res.visits["row"].to_numpy()].reset_index()
    records = Rows(frame)
    cs = ChartStyle(prog.programme.brand.primary, prog.programme.brand.accent, prog.programme.brand.font)
    allowed = [prog.base_dir]
    out_dir = Path(out_dir)
    previous, warning = manifest.read(out_dir)
    if warning:
        import click

        click.echo(f"Warning: {warning}", err=True)
    # The charts are drawn from their arguments in the context by the worker: their look
    # also depends on matplotlib's version.
    tool = {**manifest.tool_fingerprint(), "matplotlib": matplotlib.__version__}
    entries: list[dict] = []
    failures: list[dict] = []
    replaces: set[str] = set()
    counts = {"written": 0, "skipped": 0}

    def plan(task: dict) -> tuple[list[str], dict[str, str]]:
        """Formats still to render, and the key of each output file (relative to out_dir): the
        context is hashed once, its formats' keys from that."""
        inputs = manifest.digest({"tool": tool, "template": task["template"], "context": task["context"]})
        keys = {f"{task['folder']}{task['name']}.{fmt}": manifest.digest([inputs, fmt]) for fmt in task["formats"]}
        todo = []
        for fmt, (file, key) in zip(task["formats"], keys.items()):
            if not options.force and previous.up_to_date(out_dir, file, key):
                entries.append(previous.outputs[file])
                counts["skipped"] += 1
            else:
                todo.append(fmt)
        return todo, keys

    def record(task: dict, keys: dict[str, str], files: dict[str, bytes]) -> None:
        write_outputs(files, out_dir / task["folder"] if task["folder"] else out_dir)
        for name in files:
            file = f"{task['folder']}{name}"
            entries.append(manifest.output_entry(out_dir, file, keys[file], format=Path(name).suffix[1:],
                                                 template=task["template"]))
            counts["written"] += 1

    # Every report is one task of one run, the longest first (the summary, then the location
    # reports, then the scoresheets), so that the workers stay busy to the end.
    groups: list[tuple[str | None, list[dict]]] = [
        (None, [_task("shop_programme.html", programme_context(prog, res, cs, followup=followup, later=True), "",
                      "programme-summary", formats, allowed)])]
    if locations:
        visited = set(res.visits["location_id"])
        groups.append(("Location reports", [
            _task("shop_location.html", location_context(prog, res, records, loc.id, cs, followup=followup, later=True),
                  "locations/", f"location-{_slug(loc.id)}", formats, allowed)
            for loc in prog.location_list if loc.id in visited]))
    if scoresheets:
        # Every visit (up to --wave), or only that wave's visits when --wave is given.
        waves = res.visits["wave"].to_numpy()
        idx = [i for i in range(len(res.visits)) if wave is None or waves[i] == wave]
        from cxreport.shop.evidence import evidence_by_visit

        with Ledger(prog) as ledger:
            evidence = evidence_by_visit(ledger.conn, [records[i]["row"] for i in idx])
        groups.append(("Scoresheets", [
            _task("shop_scoresheet.html",
                  scoresheet_context(prog, res, records, i, evidence.get(int(records[i]["row"])), followup=followup),
                  "scoresheets/", f"scoresheet-{visit_file_stem(res.visit_rows[i]['visit_id'])}", formats, allowed)
            for i in idx]))
    tasks: list[Task] = []
    planned: dict[str, tuple[str | None, dict, dict]] = {}       # task key → (group, item, output keys)
    ok = {label: 0 for label, _items in groups}
    for label, items in groups:
        for item in items:
            todo, keys = plan(item)
            planned[item["name"]] = (label, item, keys)
            if todo:
                tasks.append(Task(item["name"], render_task, {**item, "formats": todo}))
            else:
                ok[label] += 1

    def on_done(outcome) -> None:
        label, item, keys = planned[outcome.task.key]
        if label is None:
            # The programme summary fails the command (exit 1), as a build does, and
            # stops the others: nothing more is written, and no manifest.
            if not outcome.ok:
                raise RenderError(outcome.error)
            record(item, keys, outcome.value["files"])
            return
        if outcome.ok:
            try:
                record(item, keys, outcome.value["files"])
                ok[label] += 1
                return
            except CxError as exc:
                outcome.error = " ".join(exc.format_message().split())
        failures.append({"item": item["name"], "what": label, "reason": outcome.error})
        replaces.update(keys)

    if tasks and planned[tasks[0].key][0] is None and options.executor == "dask":
        # On a Dask cluster the summary is made here, before the batch (as a summary alone is).
        record(planned[tasks[0].key][1], planned[tasks[0].key][2], render_task(tasks[0].payload)["files"])
        tasks = tasks[1:]
    run_tasks(tasks, options, label="Reports", on_done=on_done, preload=PRELOAD)
    written: list[tuple[str, Path]] = []
    for fmt in formats:
        written.append((f"Programme summary ({fmt.upper()})", out_dir / f"programme-summary.{fmt}"))
    if locations:
        written.append((f"Location reports ({ok['Location reports']})", out_dir / "locations"))
    if scoresheets:
        written.append((f"Scoresheets ({ok['Scoresheets']})", out_dir / "scoresheets"))
    base = prog.base_dir
    inputs = manifest.hash_inputs(manifest.model_paths(prog) + [prog.ledger_path], base)
    path = manifest.write(
        out_dir, kind="shop report",
        source={"programme": {"file": str(Path(prog.path).resolve()), "sha256": sha256_file(prog.path)}},
        inputs=inputs, settings={"wave": wave, "scoresheets": scoresheets, "locations": locations,
                                 "formats": list(formats)},
        outputs=entries, failures=failures, previous=previous, replaces=replaces, started=started)
    written.append(("Manifest", path))
    import click

    n = counts["written"] + counts["skipped"]
    click.echo(f"{n} file{'s' if n != 1 else ''}: {counts['written']} written, {counts['skipped']} up to date, "
               f"{len(failures)} report{'s' if len(failures) != 1 else ''} failed "
               f"({time.perf_counter() - t0:.1f} s)", err=True)
    if failures:
        raise BatchFailed(f"{len(failures)} report(s) failed; the others were written",
                          [f"{f['item']}: {f['reason']}" for f in failures])
    return written
