"""Scoresheet intake: read CSV (wide or long), XLSX (wide or long) and JSON scoresheets
into :class:`Visit` records, and check each visit against the programme.

Formats are documented in ``docs/scoresheets.md``. Every problem names the file, the
visit and the item, and says what is wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import asdict, dataclass, field

from cxreport.shop.programme import ProgrammeFile
from cxreport.shop.scoring import AnswerError, applies, parse_answer

VISIT_FIELDS = ("visit_id", "location_id", "shopper_id", "wave", "channel", "visit_date", "start_time", "end_time")
REQUIRED_FIELDS = ("visit_id", "location_id", "shopper_id", "wave", "channel", "visit_date")
LONG_FIELDS = ("item_id", "answer", "comment", "evidence")
MAX_FILE_BYTES = 50_000_000


class FileError(ValueError):
    """The file as a whole cannot be read as a scoresheet."""


@dataclass
class Answer:
    value: str = ""
    comment: str = ""
    evidence: str = ""


@dataclass
class Visit:
    visit_id: str
    location_id: str = ""
    shopper_id: str = ""
    wave: str = ""
    channel: str = ""
    visit_date: str = ""
    start_time: str = ""
    end_time: str = ""
    answers: dict[str, Answer] = field(default_factory=dict)
    comments: str = ""
    where: str = ""        # "row 3" / "rows 2–25" / "" for JSON

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Visit:
        data = json.loads(text)
        data["answers"] = {k: Answer(**v) for k, v in data.get("answers", {}).items()}
        return cls(**data)


# --------------------------------------------------------------------------- reading


def _cell(value) -> str:
    """A spreadsheet cell as the text a shopper would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_from_csv(raw: bytes) -> list[list[str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError(f"not UTF-8 text (byte 0x{raw[exc.start]:02X} at offset {exc.start})") from None
    if "\x00" in text[:4096]:
        raise FileError("looks like a binary file, not CSV text")
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise FileError(f"cannot parse CSV: {exc}") from None


def _rows_from_xlsx(raw: bytes) -> list[list[str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileError(f"not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _table_visits(rows: list[list[str]]) -> list[Visit]:
    rows = [r for r in rows if any(c != "" for c in r)]
    if not rows:
        raise FileError("the file is empty")
    header = [h.strip() for h in rows[0]]
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name and name in seen:
            raise FileError(f"duplicate column '{name}' (columns {seen[name]} and {position})")
        seen[name] = position
    missing = [f for f in REQUIRED_FIELDS if f not in header]
    if missing:
        raise FileError(f"missing column(s): {', '.join(missing)}")
    body = rows[1:]
    if not body:
        raise FileError("has a header row but no visits")
    width = len(header)
    for number, row in enumerate(body, start=2):
        if len(row) > width and any(c != "" for c in row[width:]):
            raise FileError(f"row {number} has {len(row)} cells but the header has {width}")
    records = [dict(zip(header, row + [""] * (width - len(row)))) for row in body]
    if "item_id" in header:
        return _long(records)
    return _wide(records, header)


def _wide(records: list[dict[str, str]], header: list[str]) -> list[Visit]:
    item_columns = [h for h in header if h and h not in VISIT_FIELDS and h != "comments"
                    and not h.endswith("_comment") and not h.endswith("_evidence")]
    visits = []
    for number, rec in enumerate(records, start=2):
        visit = Visit(**{f: rec.get(f, "").strip() for f in VISIT_FIELDS}, comments=rec.get("comments", ""),
                      where=f"row {number}")
        for item_id in item_columns:
            visit.answers[item_id] = Answer(rec.get(item_id, ""), rec.get(f"{item_id}_comment", ""),
                                            rec.get(f"{item_id}_evidence", ""))
        visits.append(visit)
    return visits


def _long(records: list[dict[str, str]]) -> list[Visit]:
    visits: dict[str, Visit] = {}
    first_row: dict[str, int] = {}
    conflicts: list[str] = []
    for number, rec in enumerate(records, start=2):
        vid = rec.get("visit_id", "").strip()
        if vid not in visits:
            visits[vid] = Visit(**{f: rec.get(f, "").strip() for f in VISIT_FIELDS},
                                comments=rec.get("comments", ""), where=f"row {number}")
            first_row[vid] = number
        visit = visits[vid]
        for f in VISIT_FIELDS[1:]:
            if rec.get(f, "").strip() != getattr(visit, f):
                conflicts.append(f"row {number}: visit {vid}: {f} '{rec.get(f, '')}' differs from row "
                                 f"{first_row[vid]} ('{getattr(visit, f)}')")
        item_id = rec.get("item_id", "").strip()
        if not item_id:
            conflicts.append(f"row {number}: visit {vid}: empty item_id")
            continue
        if item_id in visit.answers:
            conflicts.append(f"row {number}: visit {vid}: item {item_id} answered twice")
        visit.answers[item_id] = Answer(rec.get("answer", ""), rec.get("comment", ""), rec.get("evidence", ""))
        visit.where = f"rows {first_row[vid]}–{number}" if number != first_row[vid] else visit.where
    if conflicts:
        raise FileError("; ".join(conflicts[:5]) + (" …" if len(conflicts) > 5 else ""))
    return list(visits.values())


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > 30:
        raise FileError(f"a number with {len(text.lstrip('-')):,} digits ({text[:12]}…) is not a valid answer or id")
    return int(text)


def _json_constant(name: str):
    raise FileError(f"'{name}' is not valid JSON (write a missing answer as null or leave it out)")


def _json_visit(raw: bytes) -> list[Visit]:
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_int=_json_int, parse_constant=_json_constant)
    except UnicodeDecodeError:
        raise FileError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise FileError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise FileError("invalid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise FileError("a JSON scoresheet must be one visit (an object), not a list or a value")
    unknown = set(data) - set(VISIT_FIELDS) - {"answers", "comments"}
    if unknown:
        raise FileError(f"unknown field(s): {', '.join(sorted(unknown))}")
    for f in VISIT_FIELDS + ("comments",):
        if f in data and not isinstance(data[f], (str, int, float)) and data[f] is not None:
            raise FileError(f"field '{f}' must be text")
    answers = data.get("answers", {})
    if not isinstance(answers, dict):
        raise FileError("'answers' must be an object of item id → answer")
    visit = Visit(**{f: _cell(data.get(f)) for f in VISIT_FIELDS}, comments=_cell(data.get("comments")))
    for item_id, value in answers.items():
        if isinstance(value, dict):
            extra = set(value) - {"answer", "comment", "evidence"}
            if extra:
                raise FileError(f"answer {item_id}: unknown field(s) {', '.join(sorted(extra))}")
            visit.answers[str(item_id)] = Answer(_answer_text(value.get("answer")), _cell(value.get("comment")),
                                                 _cell(value.get("evidence")))
        else:
            visit.answers[str(item_id)] = Answer(_answer_text(value))
    return [visit]


def _answer_text(value) -> str:
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    return _cell(value)


def read_scoresheet(name: str, raw: bytes) -> list[Visit]:
    """Parse one file into visits; raise :class:`FileError` when the file cannot be read."""
    if len(raw) == 0:
        raise FileError("the file is empty")
    if len(raw) > MAX_FILE_BYTES:
        raise FileError(f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix == "json":
        return _json_visit(raw)
    if suffix in ("xlsx", "xlsm"):
        return _table_visits(_rows_from_xlsx(raw))
    if suffix in ("csv", "txt"):
        return _table_visits(_rows_from_csv(raw))
    raise FileError(f"unsupported file type '.{suffix}' (use .csv, .xlsx or .json)")


# --------------------------------------------------------------------------- checking

_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _parse_time(text: str) -> dt.time | None:
    match = _TIME.match(text.strip())
    if not match:
        return None
    h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
    if h > 23 or m > 59 or s > 59:
        return None
    return dt.time(h, m, s)


def check_visit(prog: ProgrammeFile, visit: Visit) -> list[str]:
    """Every problem with one visit (empty when it can be accepted)."""
    problems: list[str] = []
    say = problems.append
    for f in REQUIRED_FIELDS:
        if not getattr(visit, f):
            say(f"{f} is missing")
    locations = {loc.id: loc for loc in prog.location_list}
    if visit.location_id and visit.location_id not in locations:
        from cxreport.util import did_you_mean

        say(f"unknown location '{visit.location_id}'{did_you_mean(visit.location_id, locations)}")
    wave = prog.wave(visit.wave) if visit.wave else None
    if visit.wave and wave is None:
        say(f"unknown wave '{visit.wave}' (waves: {', '.join(w.id for w in prog.waves)})")
    date = None
    if visit.visit_date:
        try:
            date = dt.date.fromisoformat(visit.visit_date.strip()[:10])
        except ValueError:
            say(f"visit_date '{visit.visit_date}' is not a date (YYYY-MM-DD)")
    if date and wave and not (wave.start <= date <= wave.end):
        say(f"visit_date {date} is outside wave {wave.id} ({wave.start} to {wave.end})")
    if date and date > dt.date.today():
        say(f"visit_date {date} is in the future")
    start = _parse_time(visit.start_time) if visit.start_time else None
    end = _parse_time(visit.end_time) if visit.end_time else None
    if visit.start_time and start is None:
        say(f"start_time '{visit.start_time}' is not a time (HH:MM)")
    if visit.end_time and end is None:
        say(f"end_time '{visit.end_time}' is not a time (HH:MM)")
    if start and end and end <= start:
        say(f"end_time {visit.end_time} is not after start_time {visit.start_time}")

    channel = visit.channel.lower()
    known = {i.id for _s, i in prog.questionnaire.items()}
    for item_id in visit.answers:
        if item_id not in known and (visit.answers[item_id].value or visit.answers[item_id].comment):
            from cxreport.util import did_you_mean

            say(f"item {item_id}: not in questionnaire {prog.questionnaire.version}{did_you_mean(item_id, known)}")
    for _section, item in prog.questionnaire.items():
        answer = visit.answers.get(item.id, Answer())
        text = answer.value.strip()
        if not applies(item, channel):
            if text:
                say(f"item {item.id}: answered, but the item does not apply to the {channel or '?'} channel")
            continue
        if not text:
            if item.required:
                say(f"item {item.id}: required but not answered")
            continue
        try:
            points = parse_answer(item, text, prog.threshold(item) if item.type == "numeric" else None)
        except AnswerError as exc:
            say(f"item {item.id}: {exc}")
            continue
        if points.na:
            continue
        if item.comment_required_on_fail and points.failed and not answer.comment.strip():
            say(f"item {item.id}: the answer '{text}' fails, and a comment is required")
        if item.evidence_required and not answer.evidence.strip():
            say(f"item {item.id}: evidence is required")
        expected = prog.integrity_answers.get(item.id, {}).get(visit.location_id)
        if expected is not None and _normalise(text) != _normalise(expected):
            say(f"item {item.id}: integrity check failed: '{text}' does not match the known answer for "
                f"{visit.location_id}")
    return problems


def _normalise(text: str) -> str:
    return re.sub(r"[\s\u2013\u2014-]+", "-", text.strip().lower())
