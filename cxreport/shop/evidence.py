"""Evidence files (photos, receipts, recordings) sent with a scoresheet.

How a shopper sends them (docs/scoresheets.md, "Evidence files"): the scoresheet and its
files in **one ZIP** (``V-W3-0012.zip`` holding ``V-W3-0012.json``, ``kfd.jpg``,
``door.png``), given to ``cxreport shop submit`` like any scoresheet. An answer's
``evidence`` field names the files (several separated by ``;``). Outside a ZIP the
evidence field stays what it always was: a reference (a document number, a file name
kept elsewhere).

Inside a ZIP, checked before anything is stored (the ZIP itself is always stored, as every
submitted file is):

- the ZIP: at most :data:`MAX_BUNDLE_BYTES`, :data:`MAX_BUNDLE_MEMBERS` files,
  :data:`MAX_BUNDLE_UNPACKED` bytes unpacked, :data:`MAX_MEMBER_RATIO` to 1 packing for a
  member over 1 MB; no encrypted member, no symbolic link;
- names: no absolute path, no ``..``, no drive letter, no control characters, at most
  :data:`MAX_NAME_CHARS` characters; no two members with the same file name (names are
  compared ignoring case); nothing is ever written to disk under a member's name;
- exactly one scoresheet (``.csv``, ``.xlsx``, ``.xlsm``, ``.json``), read with every
  scoresheet check (and as a blank scoresheet from ``shop template`` when it is one);
- every other file is evidence: at most :data:`MAX_EVIDENCE_BYTES`, its type found from
  its first bytes (JPEG, PNG, PDF, MP3, M4A, WAV), never from its name; an image must
  open and have at most :data:`MAX_IMAGE_PIXELS` pixels.

Per visit: a reference that names a file in the ZIP links that file to the visit and
item; a reference ending in an evidence extension (``.jpg`` …) that is not in the ZIP
rejects the visit when the item requires evidence (``item S2: evidence file kfd.jpg is
not in V-1.zip``), and is a warning otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import sqlite3
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field

from cxreport.i18n import N_
from cxreport.shop.intake import FileError, Visit, printable, read_scoresheet
from cxreport.shop.programme import ProgrammeFile

#: Limits of an evidence ZIP (docs/security.md, "Limits").
MAX_BUNDLE_BYTES = 100_000_000
MAX_BUNDLE_MEMBERS = 100
MAX_BUNDLE_UNPACKED = 150_000_000
MAX_MEMBER_RATIO = 200
RATIO_FLOOR = 1_000_000
#: One evidence file (a few minutes of recording, a phone photo, a scanned receipt).
MAX_EVIDENCE_BYTES = 25_000_000
#: Pixels of an evidence image (a 100-megapixel photo); a larger one is refused unopened.
MAX_IMAGE_PIXELS = 100_000_000
MAX_NAME_CHARS = 200

SCORESHEET_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".json")
#: What a reference's name ends in when it names a file.
EVIDENCE_SUFFIXES = (".jpg", ".jpeg", ".png", ".pdf", ".mp3", ".m4a", ".wav")
#: Files a ZIP tool adds by itself: left out (they stay in the stored ZIP).
_JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)", re.IGNORECASE)

#: media type → (kind, how reports name it)
MEDIA = {
    "image/jpeg": ("image", N_("JPEG image")),
    "image/png": ("image", N_("PNG image")),
    "application/pdf": ("document", N_("PDF document")),
    "audio/mpeg": ("audio", N_("MP3 recording")),
    "audio/mp4": ("audio", N_("M4A recording")),
    "audio/wav": ("audio", N_("WAV recording")),
}
ACCEPTED_TYPES = "JPEG, PNG, PDF, MP3, M4A or WAV"
_M4A_BRANDS = {b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso2", b"3gp4", b"3gp5"}


def sniff(data: bytes) -> str | None:
    """The media type of ``data`` from its first bytes (None: not a type evidence may have)."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp" and head[8:12] in _M4A_BRANDS:
        return "audio/mp4"
    if head.startswith(b"ID3") or (len(head) > 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
                                   and head[1] & 0x06 != 0):      # an MPEG audio frame (layer set)
        return "audio/mpeg"
    return None


def size_text(n: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1000 or unit == "MB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} MB"  # pragma: no cover


def name_key(name: str) -> str:
    """How a reference and a member name are compared: the last path part, NFC, case folded."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", str(name)).strip())[-1]
    return base.strip().casefold()


@dataclass
class EvidenceFile:
    name: str            # the member's file name (last path part)
    data: bytes
    media_type: str
    sha256: str = ""

    def __post_init__(self) -> None:
        self.sha256 = self.sha256 or hashlib.sha256(self.data).hexdigest()


@dataclass
class Submission:
    """What one submitted file holds: its visits and, for a ZIP, its evidence files."""

    visits: list[Visit]
    bundle: str | None = None                                   # the ZIP's name, when it is one
    files: dict[str, EvidenceFile] = field(default_factory=dict)  # name_key → file


def _unsafe_name(name: str) -> str | None:
    """Why a member name is refused (None: it is fine)."""
    if len(name) > MAX_NAME_CHARS:
        return f"longer than {MAX_NAME_CHARS} characters"
    if any(not c.isprintable() for c in name):
        return "has control characters"
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "is an absolute path"
    if any(p in ("..", ".") for p in parts):
        return "climbs out of the ZIP ('..')"
    return None


def read_bundle(prog: ProgrammeFile, name: str, raw: bytes) -> Submission:
    """Read a ZIP holding one scoresheet and its evidence files; :class:`FileError` when it
    cannot be taken (the message names the member)."""
    if len(raw) > MAX_BUNDLE_BYTES:
        raise FileError(f"a ZIP of a scoresheet and its evidence may be at most {size_text(MAX_BUNDLE_BYTES)}; "
                        f"this one is {size_text(len(raw))}")
    from cxreport.load.limits import _parts_in_directory

    announced = _parts_in_directory(io.BytesIO(raw))      # before zipfile reads the whole directory
    if announced is not None and announced > MAX_BUNDLE_MEMBERS:
        raise FileError(f"the ZIP holds {announced:,} files; at most {MAX_BUNDLE_MEMBERS} are accepted")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise FileError(f"not a readable ZIP ({type(exc).__name__})") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_BUNDLE_MEMBERS:
            raise FileError(f"the ZIP holds {len(infos):,} files; at most {MAX_BUNDLE_MEMBERS} are accepted")
        total = sum(max(i.file_size, 0) for i in infos)
        if total > MAX_BUNDLE_UNPACKED:
            raise FileError(f"the ZIP unpacks to {size_text(total)}; at most {size_text(MAX_BUNDLE_UNPACKED)} is read")
        sheets, members, seen = [], [], {}
        for info in infos:
            shown = printable(info.filename[:MAX_NAME_CHARS])
            why = _unsafe_name(info.filename)
            if why:
                raise FileError(f"member '{shown}' {why}; the ZIP is refused")
            if _JUNK.search(info.filename):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                raise FileError(f"member '{shown}' is a symbolic link; the ZIP is refused")
            if info.flag_bits & 0x1:
                raise FileError(f"member '{shown}' is encrypted; send the files unencrypted")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_MEMBER_RATIO * max(info.compress_size, 1):
                raise FileError(f"member '{shown}' unpacks from {size_text(info.compress_size)} to "
                                f"{size_text(info.file_size)}; at most {MAX_MEMBER_RATIO} to 1 is accepted")
            key = name_key(info.filename)
            if not key:
                continue
            if key in seen:
                raise FileError(f"two files named '{printable(key)}' in the ZIP ('{printable(seen[key])}' and "
                                f"'{shown}'); each file name may appear once")
            seen[key] = info.filename
            (sheets if key.endswith(SCORESHEET_SUFFIXES) else members).append(info)
        if len(sheets) != 1:
            found = ", ".join(printable(i.filename) for i in sheets[:5])
            raise FileError("a ZIP must hold exactly one scoresheet (.csv, .xlsx, .xlsm or .json) and its evidence "
                            f"files; this one holds {len(sheets)}{': ' + found if found else ''}")
        files: dict[str, EvidenceFile] = {}
        for info in members:
            shown = printable(info.filename)
            if info.file_size > MAX_EVIDENCE_BYTES:
                raise FileError(f"evidence file '{shown}' is {size_text(info.file_size)}; at most "
                                f"{size_text(MAX_EVIDENCE_BYTES)} is accepted")
            data = _read_member(archive, info, MAX_EVIDENCE_BYTES)
            media = sniff(data)
            if media is None:
                raise FileError(f"evidence file '{shown}' is not a {ACCEPTED_TYPES} file (judged by its content, "
                                "not its name)")
            if MEDIA[media][0] == "image":
                problem = image_problem(data)
                if problem:
                    raise FileError(f"evidence file '{shown}': {problem}")
            base = re.split(r"[/\\]", unicodedata.normalize("NFC", info.filename))[-1]
            files[name_key(info.filename)] = EvidenceFile(base, data, media)
        sheet = sheets[0]
        sheet_name = re.split(r"[/\\]", sheet.filename)[-1]
        from cxreport.shop.intake import MAX_FILE_BYTES

        if sheet.file_size > MAX_FILE_BYTES:
            raise FileError(f"{printable(sheet_name)}: the file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
        data = _read_member(archive, sheet, MAX_FILE_BYTES)
    try:
        visits = read_scoresheet_or_template(prog, sheet_name, data)
    except FileError as exc:
        raise FileError(f"{printable(sheet_name)}: {exc}") from None
    return Submission(visits, bundle=name, files=files)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, at most ``limit`` of them whatever its header claims."""
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise FileError(f"member '{printable(info.filename)}' cannot be read ({type(exc).__name__})") from None
    if len(data) > limit:
        raise FileError(f"member '{printable(info.filename)}' unpacks to more than {size_text(limit)}")
    return data


def image_problem(data: bytes) -> str | None:
    """Why an image cannot be used (None: it opens and is not too large)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                return (f"{width:,} × {height:,} pixels; at most {MAX_IMAGE_PIXELS // 1_000_000} megapixels "
                        "are accepted")
            img.verify()
    except Image.DecompressionBombError:
        return f"more than {MAX_IMAGE_PIXELS // 1_000_000} megapixels"
    except Exception as exc:   # whatever a damaged image makes Pillow raise
        return f"not a readable image ({type(exc).__name__})"
    return None


def read_scoresheet_or_template(prog: ProgrammeFile, name: str, raw: bytes) -> list[Visit]:
    """A scoresheet's visits; a blank scoresheet from ``shop template`` is read as one."""
    if name.lower().endswith((".xlsx", ".xlsm")) and raw[:2] == b"PK":
        from cxreport.shop.template import is_template, read_template

        if is_template(raw):
            return read_template(prog, name, raw)
    return read_scoresheet(name, raw)


def read_submission(prog: ProgrammeFile, name: str, raw: bytes) -> Submission:
    """What ``shop submit`` reads from one file: a ZIP of a scoresheet and its evidence, a
    blank scoresheet filled in, or any other scoresheet."""
    if name.lower().endswith(".zip"):
        return read_bundle(prog, name, raw)
    return Submission(read_scoresheet_or_template(prog, name, raw))


# --------------------------------------------------------------------------- linking


def references(text: str) -> list[str]:
    """The names an evidence field gives (separated by ';' or line breaks)."""
    return [r.strip() for r in re.split(r"[;\n]", str(text or "")) if r.strip()]


@dataclass
class Links:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)   # (item id, name_key)


def link_visit(prog: ProgrammeFile, visit: Visit, submission: Submission | None) -> Links:
    """Which evidence files of the ZIP each answer names, and what is missing."""
    out = Links()
    if submission is None or submission.bundle is None:
        return out
    required = {i.id: i.evidence_required for _s, i in prog.questionnaire.items()}
    zip_name = printable(submission.bundle)
    for item_id, answer in visit.answers.items():
        for ref in references(answer.evidence):
            key = name_key(ref)
            if key in submission.files:
                if (item_id, key) not in out.links:
                    out.links.append((item_id, key))
            elif key.endswith(EVIDENCE_SUFFIXES):
                text = f"item {printable(item_id)}: evidence file {printable(ref)} is not in {zip_name}"
                if required.get(item_id) and answer.value.strip().lower() not in ("n/a", "na", "not applicable"):
                    out.problems.append(text)
                else:
                    out.warnings.append(f"warning: {text}")
    return out


# --------------------------------------------------------------------------- the ledger

SCHEMA = """
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),   -- the ZIP it came in
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS evidence_file ON evidence(file_id);
CREATE TABLE IF NOT EXISTS evidence_links (
    evidence_id INTEGER NOT NULL REFERENCES evidence(id),
    visit_row INTEGER NOT NULL REFERENCES visits(id),
    item_id TEXT NOT NULL,
    PRIMARY KEY (evidence_id, visit_row, item_id)
);
CREATE INDEX IF NOT EXISTS evidence_links_visit ON evidence_links(visit_row);
"""


def store_files(conn: sqlite3.Connection, file_id: int, submission: Submission | None) -> dict[str, int]:
    """Store a ZIP's evidence files (in the caller's transaction); name_key → evidence id."""
    ids: dict[str, int] = {}
    if submission is None:
        return ids
    for key, ev in submission.files.items():
        ids[key] = int(conn.execute(
            "INSERT INTO evidence (file_id, name, media_type, sha256, size, content) VALUES (?, ?, ?, ?, ?, ?)",
            (file_id, ev.name, ev.media_type, ev.sha256, len(ev.data), ev.data)).lastrowid)
    return ids


def store_links(conn: sqlite3.Connection, ids: dict[str, int], visit_row: int, links: Links) -> None:
    conn.executemany("INSERT OR IGNORE INTO evidence_links (evidence_id, visit_row, item_id) VALUES (?, ?, ?)",
                     [(ids[key], visit_row, item_id) for item_id, key in links.links if key in ids])


def unlinked_note(submission: Submission | None, linked: set[str]) -> str:
    """A note naming the ZIP's evidence files no visit names (they are stored all the same)."""
    if submission is None:
        return ""
    spare = [ev.name for key, ev in submission.files.items() if key not in linked]
    if not spare:
        return ""
    return (f"{len(spare)} evidence file(s) in the ZIP named by no answer, stored unlinked: "
            + ", ".join(printable(n) for n in spare[:10]) + (" …" if len(spare) > 10 else ""))


@dataclass
class StoredEvidence:
    id: int
    file_id: int
    name: str
    media_type: str
    sha256: str
    size: int
    status: str                  # of the ZIP it came in
    submitted_at: str
    submitted_by: str
    links: list[tuple[str, str]]  # (visit id, item id)


def stored_evidence(conn: sqlite3.Connection, status: str = "all") -> list[StoredEvidence]:
    """Every stored evidence file without its bytes, oldest first (``status`` of its ZIP as
    :meth:`Ledger.stored_files` takes it). A ledger from before evidence has none."""
    where = {"all": "", "accepted": "WHERE f.status IN ('accepted', 'partly accepted')",
             "rejected": "WHERE f.status = 'rejected'"}[status]
    rows = conn.execute("SELECT e.id, e.file_id, e.name, e.media_type, e.sha256, e.size, f.status, f.submitted_at,"
                        f" f.submitted_by FROM evidence e JOIN files f ON f.id = e.file_id {where} ORDER BY e.id"
                        ).fetchall()
    links: dict[int, list[tuple[str, str]]] = {}
    for r in conn.execute("SELECT l.evidence_id, v.visit_id, l.item_id FROM evidence_links l"
                          " JOIN visits v ON v.id = l.visit_row ORDER BY l.evidence_id, v.id, l.item_id"):
        links.setdefault(r[0], []).append((r[1], r[2]))
    return [StoredEvidence(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], links.get(r[0], [])) for r in rows]


def evidence_bytes(conn: sqlite3.Connection, evidence_id: int) -> bytes:
    """An evidence file's bytes, checked against the SHA-256 and size recorded when it came in;
    :class:`~cxreport.errors.CxError` when they do not match."""
    from cxreport.errors import CxError

    row = conn.execute("SELECT name, sha256, size, content FROM evidence WHERE id = ?", (evidence_id,)).fetchone()
    if row is None:
        raise CxError(f"no stored evidence file e{evidence_id}")
    data = bytes(row[3])
    if len(data) != row[2] or hashlib.sha256(data).hexdigest() != row[1]:
        raise CxError(f"{printable(row[0])} (evidence e{evidence_id}): the stored bytes do not match the SHA-256 "
                      f"recorded when it was submitted ({row[1][:12]}…); the ledger is damaged, restore it from a backup")
    return data


def links_text(ev: StoredEvidence) -> str:
    if not ev.links:
        return "evidence (named by no visit)"
    return "evidence of " + ", ".join(f"{printable(v)} {printable(i)}" for v, i in ev.links)


# --------------------------------------------------------------------------- reports

#: Longest side of a thumbnail on a scoresheet, in pixels (shown at about 4 cm).
THUMB_PIXELS = 360


def thumbnail(data: bytes) -> str:
    """A small JPEG of an evidence image as a ``data:`` URL: EXIF orientation applied, no
    metadata kept (no EXIF, no GPS), transparency on white."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as img:
        if img.size[0] * img.size[1] > MAX_IMAGE_PIXELS:
            raise ValueError("too many pixels")
        img.draft("RGB", (THUMB_PIXELS * 2, THUMB_PIXELS * 2))      # JPEG: decode at a fraction of the size
        img = ImageOps.exif_transpose(img)
        img.thumbnail((THUMB_PIXELS, THUMB_PIXELS), Image.Resampling.LANCZOS)
        if img.mode in ("RGBA", "LA", "P"):
            img = img.convert("RGBA")
            canvas = Image.new("RGB", img.size, "white")
            canvas.paste(img, mask=img.getchannel("A"))
            img = canvas
        else:
            img = img.convert("RGB")
        out = io.BytesIO()
        img.save(out, "JPEG", quality=82, optimize=True)     # no exif= given: nothing of the original's metadata
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def evidence_by_visit(conn: sqlite3.Connection, visit_rows) -> dict[int, dict[str, list[dict]]]:
    """For a scoresheet: visit row → item id → its evidence files as plain data (name, type,
    size, SHA-256 prefix, thumbnail for an image, or the problem that stopped it). A file
    that cannot be read or no longer matches its SHA-256 is named with that problem; the
    rest is unaffected."""
    rows = [int(r) for r in visit_rows]
    if not rows:
        return {}
    try:
        conn.execute("SELECT 1 FROM evidence_links LIMIT 1")
    except sqlite3.OperationalError:        # a ledger from before evidence files
        return {}
    out: dict[int, dict[str, list[dict]]] = {}
    wanted = set(rows)
    links = conn.execute("SELECT l.visit_row, l.item_id, e.id, e.name, e.media_type, e.sha256, e.size"
                         " FROM evidence_links l JOIN evidence e ON e.id = l.evidence_id ORDER BY l.visit_row, e.id"
                         ).fetchall()
    thumbs: dict[int, tuple[str | None, str | None]] = {}
    for visit_row, item_id, ev_id, name, media, sha, size in links:
        if visit_row not in wanted:
            continue
        kind, label = MEDIA.get(media, ("document", media))
        if ev_id not in thumbs:
            thumb, problem = None, None
            try:
                data = evidence_bytes(conn, ev_id)
                if kind == "image":
                    thumb = thumbnail(data)
            except sqlite3.DatabaseError:
                problem = N_("cannot be read from the ledger (damaged)")
            except Exception as exc:   # a damaged blob or an image Pillow cannot read
                from cxreport.errors import CxError

                problem = (N_("the stored bytes do not match their SHA-256 (damaged ledger)")
                           if isinstance(exc, CxError) else N_("the image cannot be shown"))
            thumbs[ev_id] = (thumb, problem)
        thumb, problem = thumbs[ev_id]
        out.setdefault(visit_row, {}).setdefault(item_id, []).append({
            "name": name, "kind": kind, "type": label, "size": size_text(size), "sha": sha[:12],
            "thumb": thumb, "problem": problem})
    return out


# --------------------------------------------------------------------------- listing and getting back


def salvage_evidence(conn: sqlite3.Connection, status: str = "all") -> tuple[list[StoredEvidence], list[tuple[str, str]]]:
    """:func:`stored_evidence`, row by row when the ledger is damaged: (the rows that can be
    read, [("e<id>", why) of those that cannot])."""
    from cxreport.shop.ledger import is_damage

    try:
        return stored_evidence(conn, status), []
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
    try:
        last = conn.execute("SELECT MAX(id) FROM evidence").fetchone()[0] or 0
    except sqlite3.DatabaseError as exc:
        return [], [("evidence", f"the evidence table cannot be read ({exc})")]
    rows, unreadable = [], []
    keep = {"all": None, "accepted": ("accepted", "partly accepted"), "rejected": ("rejected",)}[status]
    for ev_id in range(1, int(last) + 1):
        try:
            r = conn.execute("SELECT e.id, e.file_id, e.name, e.media_type, e.sha256, e.size, f.status, f.submitted_at,"
                             " f.submitted_by FROM evidence e JOIN files f ON f.id = e.file_id WHERE e.id = ?",
                             (ev_id,)).fetchone()
            if r is None or (keep is not None and r[6] not in keep):
                continue
            found = [(v, i) for v, i in conn.execute(
                "SELECT v.visit_id, l.item_id FROM evidence_links l JOIN visits v ON v.id = l.visit_row"
                " WHERE l.evidence_id = ? ORDER BY v.id, l.item_id", (ev_id,))]
        except sqlite3.DatabaseError as exc:
            unreadable.append((f"e{ev_id}", str(exc)))
            continue
        rows.append(StoredEvidence(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], found))
    return rows, unreadable


def listing_rows(conn: sqlite3.Connection, status: str = "all") -> tuple[list[dict], list[tuple[str, str]]]:
    """Evidence files as `shop files` lists them (after the submitted files): id ``e<N>``,
    status ``evidence of VISIT ITEM, …``."""
    rows, unreadable = salvage_evidence(conn, status)
    return [{"id": f"e{ev.id}", "submitted_at": ev.submitted_at, "submitted_by": ev.submitted_by,
             "status": links_text(ev), "size": ev.size, "sha256": ev.sha256, "name": ev.name} for ev in rows], unreadable


#: The folder inside ``shop files --extract DIR`` that evidence files are written to.
EXTRACT_FOLDER = "evidence"


def extract_evidence(ledger, dest, status: str = "all", on_file=None, on_unreadable=None) -> list:
    """Write the stored evidence files into ``dest``/evidence/, byte for byte, under safe
    unique names (as :func:`cxreport.shop.recover.extract` does for the submitted files):
    a file that cannot be read or no longer matches its SHA-256 is skipped and
    ``on_unreadable`` hears of it; the others are still written."""
    from pathlib import Path

    from cxreport.errors import CxError, os_error_text
    from cxreport.shop.ledger import is_damage
    from cxreport.shop.recover import Extracted, Unreadable, safe_file_name, write_checked

    rows, damaged = salvage_evidence(ledger.conn, status)
    done: list = []

    def skip(item) -> None:
        if on_unreadable is not None:
            on_unreadable(item)

    for ev_id, why in damaged:
        skip(Unreadable(ev_id, "", f"cannot be read ({why})"))
    if not rows:
        return done
    folder = Path(dest) / EXTRACT_FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CxError(f"cannot create {folder}: {os_error_text(exc)}") from None
    if folder.is_symlink() or not folder.is_dir():
        raise CxError(f"{folder} is not a folder; evidence files are extracted into DIR/{EXTRACT_FOLDER}/")
    taken: set[str] = set()
    for ev in rows:
        label = f"e{ev.id}"
        try:
            data = evidence_bytes(ledger.conn, ev.id)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            skip(Unreadable(label, ev.name, f"cannot be read ({exc})"))
            continue
        except CxError as exc:                    # the bytes do not match their SHA-256
            skip(Unreadable(label, ev.name, exc.message))
            continue
        path, written = write_checked(folder, safe_file_name(ev.name, ev.id), ev.sha256, data, taken,
                                      printable(ev.name), f"{len(done)} evidence file(s) before it are complete")
        done.append(Extracted(label, ev.name, path, ev.sha256, ev.size, links_text(ev), written))
        if on_file is not None:
            on_file(done[-1])
    return done


def unlisted(text: str, files: list[dict]) -> str:
    """An answer's evidence field without the names of the files shown beside it (what is
    left is a reference such as a document number, or a file that was not sent)."""
    shown = {name_key(f["name"]) for f in files}
    return "; ".join(r for r in references(text) if name_key(r) not in shown) if shown else text
