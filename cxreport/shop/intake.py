"""Scoresheet intake: read CSV (wide or long), XLSX (wide or long) and JSON scoresheets
into :class:`Visit` records, and check each visit against the programme.

Formats are documented in ``docs/scoresheets.md``. Every problem names the file, the
visit and the item, and says what is wrong.

Untrusted input (shoppers are untrusted senders): a file is checked against resource
limits before it is materialised (``MAX_CELLS``, the XLSX limits, ``MAX_JSON_BYTES``…),
a JSON key given twice is refused, and visit ids are compared by :func:`visit_key`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field, fields
from xml.parsers import expat

from cxreport.shop.programme import ProgrammeFile
from cxreport.shop.scoring import AnswerError, applies, parse_answer

VISIT_FIELDS = ("visit_id", "location_id", "shopper_id", "wave", "channel", "visit_date", "start_time", "end_time")
REQUIRED_FIELDS = ("visit_id", "location_id", "shopper_id", "wave", "channel", "visit_date")
LONG_FIELDS = ("item_id", "answer", "comment", "evidence")
MAX_FILE_BYTES = 50_000_000

#: Unknown items named one by one in a visit's problems (the rest are counted).
MAX_NAMED_UNKNOWN = 10

#: Resource limits for a scoresheet, checked before anything is materialised (docs/security.md).
#: Cells of a CSV file (counted as its commas), or of an XLSX sheet's declared or used range
#: (rows × columns): reading costs about 40 µs a cell, so the largest sheet takes about 10 s.
MAX_CELLS = 250_000
#: All the parts of an XLSX, unpacked; parts in its zip.
MAX_XLSX_UNCOMPRESSED = 50_000_000
MAX_XLSX_PARTS = 1_000
#: Elements of the styles part (Excel itself allows 64,000 cell formats), and of the shared strings.
MAX_XLSX_STYLE_ELEMENTS = 200_000
MAX_XLSX_ELEMENTS = 3_000_000
#: A JSON scoresheet is one visit: a few kilobytes (long comments included).
MAX_JSON_BYTES = 5_000_000
MAX_JSON_ANSWERS = 10_000


class FileError(ValueError):
    """The file as a whole cannot be read as a scoresheet."""


# --------------------------------------------------------------------------- identifiers

#: Characters that change nothing a reader sees: format characters (zero-width space and
#: joiners, BOM, soft hyphen, direction marks), controls, and variation selectors.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs"}
_EXTRA_DASHES = {"\u2212", "\u2796", "\u2e3a", "\u2e3b", "\ufe58", "\ufe63", "\uff0d"}


def _invisible(ch: str) -> bool:
    return (unicodedata.category(ch) in _INVISIBLE_CATEGORIES or "\ufe00" <= ch <= "\ufe0f"
            or "\U000e0100" <= ch <= "\U000e01ef")


def visit_key(visit_id: str) -> str:
    """What a visit id is compared by: NFKC, invisible characters removed, every kind of dash
    as '-', runs of spaces as one space, case folded. ``V–W1–0003``, ``v-w1-0003`` and
    ``V-W1-0003`` followed by a zero-width space all give ``v-w1-0003``."""
    text = unicodedata.normalize("NFKC", str(visit_id))
    text = "".join("-" if unicodedata.category(c) == "Pd" or c in _EXTRA_DASHES else c
                   for c in text if not _invisible(c))
    text = " ".join(text.split())
    return unicodedata.normalize("NFKC", text.casefold())


def printable(text: str) -> str:
    """``text`` for a message: characters that print as nothing, or act on a terminal, shown as
    escapes (``V-1\\u200b``, ``\\x1b[2K``) so two ids that look alike can be told apart."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


_CLEAN_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
_NOT_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def visit_file_stem(visit_id: str) -> str:
    """A file-name stem for a visit's outputs, unique by construction and at most 80 bytes.

    An id that is already a plain short file name (letters, digits, ``. _ -``, at most 80
    characters, not starting with a dot or dash) is its own stem: ``V-W1-0003``. Any other
    id becomes a readable slug of at most 60 characters, ``~`` and 12 hex digits of the
    SHA-256 of the exact id: ``V 1`` → ``V-1~…``, never the same as ``V-1`` (``~`` cannot
    occur in a plain id) nor as another id (different hashes).
    """
    text = str(visit_id)
    if _CLEAN_STEM.fullmatch(text):
        return text
    slug = _NOT_SLUG.sub("-", unicodedata.normalize("NFKC", text)).strip("-.")[:60].rstrip("-.") or "visit"
    return f"{slug}~{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"


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
        # As json.dumps(asdict(self)) gives, without asdict's deep copy (a visit of thousands
        # of answers took seconds).
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "answers"}
        data["answers"] = {k: {"value": a.value, "comment": a.comment, "evidence": a.evidence}
                           for k, a in self.answers.items()}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Visit:
        data = json.loads(text)
        data["answers"] = {k: Answer(**v) for k, v in data.get("answers", {}).items()}
        return cls(**data)

    def content_key(self) -> str:
        """What two records of one visit share whatever their ids: location, shopper, channel,
        wave, date, start and end time and every answer (comments and evidence left out)."""
        def clock(text: str) -> str:
            parsed = _parse_time(text) if text else None
            return parsed.isoformat() if parsed else text.strip()

        content = [visit_key(self.location_id), visit_key(self.shopper_id), self.channel.strip().lower(),
                   visit_key(self.wave), self.visit_date.strip()[:10], clock(self.start_time), clock(self.end_time),
                   sorted((k, " ".join(a.value.split()).casefold()) for k, a in self.answers.items() if a.value.strip())]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()


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
    _csv_cells_check(text)
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise FileError(f"cannot parse CSV: {exc}") from None


def _csv_cells_check(text: str) -> None:
    # Cells ≥ delimiters: a file of 50 MB of commas would otherwise become 50 million strings.
    if text.count(",") > MAX_CELLS:
        raise FileError(f"more than {MAX_CELLS:,} cells; a scoresheet file may hold at most {MAX_CELLS:,} "
                        "(split it into several files)")


def _rows_from_xlsx(raw: bytes) -> list[list[str]]:
    import openpyxl

    rows, columns = check_xlsx_scoresheet(raw)
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            # Bounded by the range the sheet really uses (checked above), not by the one it
            # declares: openpyxl would otherwise pad every row to the declared width.
            return [[_cell(v) for v in row]
                    for row in sheet.iter_rows(max_row=max(rows, 1), max_col=max(columns, 1), values_only=True)]
        finally:
            book.close()
    except FileError:
        raise
    except Exception as exc:   # whatever a malformed workbook makes openpyxl raise
        raise FileError(f"not a readable XLSX workbook ({type(exc).__name__})") from None


# --------------------------------------------------------------------------- XLSX limits


def check_xlsx_scoresheet(raw: bytes) -> tuple[int, int]:
    """Check an XLSX scoresheet before openpyxl opens it; (rows, columns) of the used range
    of its first worksheet, which is all that is read.

    The shared pre-flight check (:func:`cxreport.load.limits.check_xlsx`) with the tighter
    scoresheet limits: at most ``MAX_CELLS`` cells in the sheet's declared or used range
    (a cell at XFD1048576 is refused at once, without making a million empty rows),
    ``MAX_XLSX_UNCOMPRESSED`` bytes unpacked, ``MAX_XLSX_PARTS`` parts, no ``<!DOCTYPE>``
    (entity expansion). Then what it does not count, since openpyxl loads both whole however
    little of them the sheet uses: at most ``MAX_XLSX_STYLE_ELEMENTS`` elements in the
    styles part and ``MAX_CELLS`` strings (``MAX_XLSX_ELEMENTS`` elements) in the shared
    strings. Every refusal is a :class:`FileError`; memory stays a few blocks whatever the file.
    """
    from cxreport.load.limits import InputLimitError, check_xlsx

    try:
        shape = check_xlsx(raw, 0, max_cells=MAX_CELLS, max_uncompressed=MAX_XLSX_UNCOMPRESSED,
                           max_parts=MAX_XLSX_PARTS)
    except InputLimitError as exc:
        raise FileError(printable(str(exc))) from None
    if not shape.part:
        raise FileError("not a readable XLSX workbook (it has no worksheet)")
    _check_styles_and_strings(raw)
    return shape.rows, shape.columns


class _Skip(Exception):
    """Not a styles or shared-strings part: nothing more to count in it."""


class _XlsxTooBig(Exception):
    pass


def _check_styles_and_strings(raw: bytes) -> None:
    """Elements of the styles part and strings of the shared-strings part, counted as they
    are decompressed (each part is found by its root element, whatever its name)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            state = {"root": None, "elements": 0, "strings": 0}

            def start(tag: str, _attrs: dict, state=state) -> None:
                local = tag.rpartition(" ")[2]
                if state["root"] is None:
                    state["root"] = local
                    if local not in ("styleSheet", "sst"):
                        raise _Skip
                state["elements"] += 1
                if state["root"] == "styleSheet" and state["elements"] > MAX_XLSX_STYLE_ELEMENTS:
                    raise _XlsxTooBig(f"its styles part has more than {MAX_XLSX_STYLE_ELEMENTS:,} elements "
                                      "(Excel itself allows 64,000 cell formats)")
                if state["elements"] > MAX_XLSX_ELEMENTS:
                    raise _XlsxTooBig(f"its shared strings have more than {MAX_XLSX_ELEMENTS:,} elements")
                if local == "si":
                    state["strings"] += 1
                    if state["strings"] > MAX_CELLS:
                        raise _XlsxTooBig(f"it has more than {MAX_CELLS:,} shared strings, the most a scoresheet "
                                          "may use")

            parser = expat.ParserCreate(namespace_separator=" ")
            parser.StartElementHandler = start
            try:
                with archive.open(info) as part:
                    while block := part.read(1 << 20):
                        parser.Parse(block, False)
                    parser.Parse(b"", True)
            except _Skip:
                continue
            except _XlsxTooBig as exc:
                raise FileError(f"too large to read safely: {exc}") from None
            except (expat.ExpatError, zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
                continue      # not XML (an image), or broken: openpyxl says so if it matters


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


def _json_object(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object, refusing a key given twice (json.loads would silently keep the last)."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise FileError(f"duplicate key '{printable(key[:80])}' in a JSON object: each field and answer "
                            "may be given once (which one was meant?)")
        out[key] = value
    return out


def _json_visit(raw: bytes) -> list[Visit]:
    if len(raw) > MAX_JSON_BYTES:
        raise FileError(f"a JSON scoresheet (one visit) may be at most {MAX_JSON_BYTES // 1_000_000} MB; "
                        f"this one is {len(raw):,} bytes")
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_int=_json_int, parse_constant=_json_constant,
                          object_pairs_hook=_json_object)
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
    if len(answers) > MAX_JSON_ANSWERS:
        raise FileError(f"{len(answers):,} answers; a visit may have at most {MAX_JSON_ANSWERS:,}")
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
    if visit.visit_id and not visit_key(visit.visit_id):
        say(f"visit_id '{printable(visit.visit_id[:80])}' has no visible characters")
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
    unknown = [item_id for item_id, answer in visit.answers.items()
               if item_id not in known and (answer.value or answer.comment)]
    if unknown:
        from cxreport.util import did_you_mean

        # Each named (with a "did you mean") up to a few; the rest counted, so that a sheet
        # of thousands of stray columns costs neither minutes nor a million problem lines.
        for item_id in unknown[:MAX_NAMED_UNKNOWN]:
            say(f"item {printable(item_id[:80])}: not in questionnaire {prog.questionnaire.version}"
                f"{did_you_mean(item_id, known)}")
        if len(unknown) > MAX_NAMED_UNKNOWN:
            more = ", ".join(printable(i[:40]) for i in unknown[MAX_NAMED_UNKNOWN:MAX_NAMED_UNKNOWN + 5])
            say(f"{len(unknown) - MAX_NAMED_UNKNOWN:,} more item(s) not in questionnaire "
                f"{prog.questionnaire.version}: {more}{' …' if len(unknown) > MAX_NAMED_UNKNOWN + 5 else ''}")
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
