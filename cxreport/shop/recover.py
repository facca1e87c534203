"""Getting submitted scoresheets back out of the ledger, byte for byte.

`cxreport shop files PROGRAMME --extract DIR` writes each stored file into DIR:

- under a safe name made from the stored one: the last path part only, characters other
  than letters, digits, ``_ - . space`` replaced by ``_``, no leading dots (no hidden files,
  never ``..``), at most 150 bytes; a stored name like ``../../evil.csv`` becomes
  ``evil.csv`` inside DIR;
- unique within DIR: a name already taken (by another stored file, or by a different file
  already in DIR, or by anything that is not a regular file, such as a symbolic link) gets
  ``-2``, ``-3`` … before its extension. Nothing in DIR is ever overwritten; a file already
  there with the same bytes counts as extracted, so running the command again is harmless;
- checked: the bytes must match the SHA-256 and size recorded at submission, before and
  after they are written (under a temporary name, renamed into place when complete);
- file by file: a stored file that cannot be read (a damaged ledger) or whose bytes no
  longer match its SHA-256 is listed and skipped, every other file is still extracted, and
  the command ends with :class:`Incomplete` (exit code 3, as a batch with failed items).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import sqlite3
import stat
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cxreport.errors import CxError, os_error_text
from cxreport.shop.intake import printable
from cxreport.shop.ledger import Ledger, is_damage

MAX_NAME_BYTES = 150
_UNSAFE = re.compile(r"[^\w.\- ]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


@dataclass
class Extracted:
    file_id: int
    stored_name: str
    path: Path
    sha256: str
    size: int
    status: str
    written: bool          # False when an identical file was already there


class Incomplete(CxError):
    """Some stored files could not be read (a damaged ledger); the others were listed or
    extracted. Exit code 3, as a batch in which some items failed."""

    exit_code = 3


@dataclass
class Unreadable:
    file_id: int
    stored_name: str       # "" when even the name cannot be read
    reason: str


def safe_file_name(stored: str, file_id: int) -> str:
    """A name that is safe to create inside a folder, made from a stored (untrusted) name."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", stored))[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    if not base or set(base) <= {"_", ".", " "}:
        base = f"file-{file_id}"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    if base.split(".")[0].strip().lower() in _RESERVED:     # Windows device names: CON, nul.tar.gz …
        stem = f"_{stem}"
    ext = ext[:20]
    while len((stem + dot + ext).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return f"{stem}{dot}{ext}" if stem else f"file-{file_id}{dot}{ext}"


def _candidates(name: str):
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, dot, ext = name, "", ""
    yield name
    for n in range(2, 100_000):
        yield f"{stem}-{n}{dot}{ext}"


def _same_file_there(path: Path, sha: str) -> bool | None:
    """True: a regular file with these bytes; False: something else; None: the name is free."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return False
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == sha


#: errno values of a file system without hard links (then the temporary file is renamed).
_NO_LINKS = {getattr(errno, n) for n in ("EPERM", "EOPNOTSUPP", "ENOTSUP", "EXDEV", "EMLINK") if hasattr(errno, n)}


def _write_temp(dest: Path, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=".cxreport-extract-", suffix=".part", dir=dest)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def write_checked(dest: Path, base: str, sha: str, data: bytes, taken: set[str], name: str,
                  done_text: str) -> tuple[Path, bool]:
    """Write ``data`` into ``dest`` (under a free name from ``base``), read it back against its
    SHA-256, and take the name; a one-line error naming ``name`` when the disk refuses it or
    the written file does not match (``done_text`` says what is already complete)."""
    try:
        path, written = _place(dest, base, sha, data, taken)
        if written and _same_file_there(path, sha) is not True:   # … and once on disk
            path.unlink()
            raise CxError(f"{name}: the file written to {dest} does not match the stored SHA-256 "
                          f"({sha[:12]}…); check the disk and run again")
    except OSError as exc:
        raise CxError(f"{name}: not extracted, cannot write it to {dest}: {os_error_text(exc)} ({done_text})") from None
    taken.add(path.name.casefold())
    return path, written


def _place(dest: Path, base: str, sha: str, data: bytes, taken: set[str]) -> tuple[Path, bool]:
    """Put ``data`` in ``dest`` under the first usable name; (path, whether it was written)."""
    tmp = None
    try:
        for name in _candidates(base):
            if name.casefold() in taken:
                continue
            target = dest / name
            there = _same_file_there(target, sha)
            if there is True:
                return target, False
            if there is False:
                continue
            if tmp is None:
                tmp = _write_temp(dest, data)
            try:
                os.link(tmp, target)       # fails if the name exists: nothing is overwritten
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in _NO_LINKS or os.path.lexists(target):
                    raise
                os.replace(tmp, target)
            return target, True
        raise CxError(f"no free file name left for {base} in {dest}")  # pragma: no cover
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def extract(ledger: Ledger, dest: Path, status: str = "all",
            on_file: Callable[[Extracted], None] | None = None,
            on_unreadable: Callable[[Unreadable], None] | None = None) -> list[Extracted]:
    """Write the stored files into ``dest``; ``on_file`` hears of each as soon as it is in place.

    File by file: a stored file that cannot be read, or whose bytes do not match its
    SHA-256, is skipped and ``on_unreadable`` hears of it; without ``on_unreadable``,
    :class:`Incomplete` is raised once every other file is extracted.
    """
    rows, damaged_rows = ledger.salvage_files(status)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CxError(f"cannot create {dest}: {os_error_text(exc)}") from None
    if not dest.is_dir():
        raise CxError(f"{dest} is not a folder")
    done: list[Extracted] = []
    missed: list[Unreadable] = []

    def skip(item: Unreadable) -> None:
        missed.append(item)
        if on_unreadable is not None:
            on_unreadable(item)

    for file_id, why in damaged_rows:
        skip(Unreadable(file_id, "", f"cannot be read ({why})"))
    taken: set[str] = set()
    for row in rows:
        name, sha = printable(row["name"]), row["sha256"]
        try:
            data = ledger.verified_bytes(row["id"])      # checked on the way out of the ledger …
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            skip(Unreadable(row["id"], row["name"], f"cannot be read ({exc})"))
            continue
        except CxError as exc:                          # the bytes do not match their SHA-256
            skip(Unreadable(row["id"], row["name"], exc.message))
            continue
        path, written = write_checked(dest, safe_file_name(row["name"], row["id"]), sha, data, taken, name,
                                      f"{len(done)} file(s) before it are complete")
        done.append(Extracted(row["id"], row["name"], path, sha, row["size"], row["status"], written))
        if on_file is not None:
            on_file(done[-1])
    if missed and on_unreadable is None:
        raise Incomplete(incomplete_text(ledger.path, missed, len(done), dest))
    return done


def incomplete_text(path: Path, missed: list[Unreadable], extracted: int, dest: Path | None = None) -> str:
    """The last line of a salvage: how many stored files could not be read, what was done."""
    ids = ", ".join(f"#{m.file_id}" for m in missed[:20]) + (" …" if len(missed) > 20 else "")
    what = (f"the {extracted} other(s) were extracted into {dest}" if dest is not None
            else f"the {extracted} other(s) are listed")
    damage = any(not m.stored_name or "cannot be read" in m.reason for m in missed)
    head = f"the ledger {path} is damaged: " if damage else ""
    return (f"{head}{len(missed)} stored file(s) could not be read ({ids}; listed above); {what}; "
            "restore the ledger from a backup")
