"""A content-addressed cache of a build's costly work (docs/cache.md).

``cxreport build`` keeps, in a folder beside its output folder (``.cxreport-cache`` in the
output folder's parent, or ``--cache-dir``), what a later build of the same inputs can reuse:

- **charts** (``charts/``): each chart's PNGs, title, alt text and note, keyed by the chart
  function, a canonical form of its arguments, the phone-width flag, the language, the
  matplotlib settings and style file, the fonts it resolves to and the code;
- **comment sentiment** (``sentiment.sqlite``): one score per distinct comment text and
  sentiment model (``comments.SENTIMENT_MODEL``), so a comment is scored once;
- **scored studies** (``studies/``): the result of :func:`cxreport.pipeline.run`, keyed by
  the code, the project settings without the narrative, the hash of every file the scoring
  read, ``--strict`` and the window, so that a rebuild after editing only the narrative
  skips reading and scoring.

A key is the sha256 of everything the entry depends on, and always includes the code
(cxreport's version and a hash of its source, templates, locale and packaged data files)
and the versions of the libraries whose output it holds. Nothing is ever updated in place:
an entry is written to a temporary file in its folder and renamed, so concurrent builds
(``--per`` workers, two builds into one folder) never see a partial entry; a reader checks
each entry's integrity (a sha256, or for studies an HMAC) and treats a missing, partial,
corrupt or unsigned entry as a miss, which is then drawn, scored or written again.

Studies are Python pickles. Unpickling runs code, so a study entry is signed with an HMAC
key kept per user outside every project (``$XDG_CACHE_HOME/cxreport/key``, by default
``~/.cache/cxreport/key``, mode 0600) and an entry without a valid signature is never
unpickled. Chart entries are JSON and PNG bytes; sentiment scores are floats in SQLite.

The folder is pruned after each build to :data:`DEFAULT_CAP_MB` megabytes (least recently
used entries first; ``CXREPORT_CACHE_MB`` sets another cap).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import enum
import hashlib
import hmac
import json
import os
import struct
import tempfile
import time
from functools import cache as _memo
from pathlib import Path, PurePath
from typing import Any

#: Name of the cache folder inside an output folder.
CACHE_DIR = ".cxreport-cache"
#: Size the folder is pruned to after a build, in MB (environment: CXREPORT_CACHE_MB).
DEFAULT_CAP_MB = 512
#: Format of the entries; a change makes every older entry a miss.
FORMAT = 1

_CHART_MAGIC = b"CXCHART1"
_SIGNED_MAGIC = b"CXSIGND1"


# --------------------------------------------------------------------------- the active cache

#: Per context (like the build's language), so builds in threads of one process keep their own.
_ACTIVE: contextvars.ContextVar = contextvars.ContextVar("cxreport_cache", default=None)


def active() -> "Cache | None":
    """The cache of the build in progress (None: no cache)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def using(root: "str | Path | Cache | None"):
    """Make the cache in ``root`` the active one for the block (None: no cache)."""
    store = root if isinstance(root, Cache) or root is None else Cache(root)
    token = _ACTIVE.set(store)
    try:
        yield store
    finally:
        _ACTIVE.reset(token)


def default_dir(out_dir: str | Path) -> Path:
    """The cache of builds into ``out_dir``: ``.cxreport-cache`` beside it, in its parent folder
    (not inside: an output folder handed to a client must not carry the respondent-level data
    a scored study holds; output folders of one parent share one cache)."""
    return Path(out_dir).resolve().parent / CACHE_DIR


# --------------------------------------------------------------------------- keys


class Unstable(TypeError):
    """A value without a canonical form: whatever it is part of is not cached."""


def _feed(h, value: Any) -> None:
    """Feed a canonical, unambiguous encoding of ``value`` to ``h``: every item is tagged with
    its type and length, so two different values never give the same bytes. Raises
    :class:`Unstable` for a value with no such encoding (an arbitrary object, a lambda)."""
    import numpy as np

    def tag(t: bytes, data: bytes = b"") -> None:
        h.update(t + b"%d:" % len(data) + data)

    kind = type(value)
    if value is None or kind is bool:
        tag(b"c", repr(value).encode())
    elif kind is int:
        tag(b"i", str(value).encode())
    elif kind is float:
        tag(b"f", struct.pack("<d", value))          # exact (distinguishes 0.0, -0.0, nan payloads)
    elif kind is str:
        tag(b"s", value.encode("utf-8", "surrogatepass"))
    elif kind is bytes:
        tag(b"b", value)
    elif isinstance(value, np.ndarray):
        tag(b"A" + value.dtype.str.encode(), repr(value.shape).encode())
        if value.dtype.hasobject:
            for item in value.ravel(order="C").tolist():
                _feed(h, item)
        else:
            tag(b"a" + repr(value.dtype.descr).encode(), np.ascontiguousarray(value).tobytes())
    elif isinstance(value, np.generic):
        tag(b"g" + value.dtype.str.encode(), value.tobytes() if not value.dtype.hasobject else b"")
        if value.dtype.hasobject:
            _feed(h, value.item())
    elif isinstance(value, (list, tuple)) and kind in (list, tuple):
        tag(b"L" if kind is list else b"T", str(len(value)).encode())
        for v in value:
            _feed(h, v)
    elif kind is dict:
        items = []
        for k, v in value.items():
            sub = hashlib.sha256()
            _feed(sub, k)
            items.append((sub.digest(), k, v))
        tag(b"D", str(len(items)).encode())
        for digest, _k, v in sorted(items, key=lambda x: x[0]):
            h.update(digest)
            _feed(h, v)
    elif kind in (set, frozenset):
        parts = []
        for v in value:
            sub = hashlib.sha256()
            _feed(sub, v)
            parts.append(sub.digest())
        tag(b"S" if kind is set else b"F", b"".join(sorted(parts)))
    elif isinstance(value, enum.Enum):
        tag(b"E", _qualname(kind).encode())
        _feed(h, value.name)
    elif isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        import pandas as pd

        if isinstance(value, (pd.Timestamp, pd.Timedelta)):
            tag(b"P" + _qualname(kind).encode(), repr(value).encode())
        else:
            tag(b"t" + _qualname(kind).encode(), repr(value).encode())
    elif isinstance(value, PurePath):
        tag(b"p" + _qualname(kind).encode(), str(value).encode("utf-8", "surrogatepass"))
    elif isinstance(value, (str, bytes, int, float, tuple)):
        # A subclass (Markup, a named tuple, IntEnum handled above): its class, then its value.
        tag(b"X", _qualname(kind).encode())
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            _feed(h, {f: getattr(value, f) for f in value._fields})
        else:
            _feed(h, (str if isinstance(value, str) else bytes if isinstance(value, bytes)
                      else float if isinstance(value, float) else int if isinstance(value, int) else tuple)(value))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        tag(b"O", _qualname(kind).encode())
        state = vars(value) if hasattr(value, "__dict__") else {
            f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        if hasattr(value, "__dict__") and getattr(kind, "__slots__", ()):
            raise Unstable(f"{_qualname(kind)}: slots and a __dict__")
        _feed(h, dict(state))
    else:
        _feed_other(h, value, tag)


def _feed_other(h, value, tag) -> None:
    import pandas as pd
    from pydantic import BaseModel

    kind = type(value)
    if isinstance(value, BaseModel):
        tag(b"M", _qualname(kind).encode())
        _feed(h, value.model_dump(mode="python"))
        extra = {k: v for k, v in vars(value).items() if k not in type(value).model_fields}
        _feed(h, extra)
    elif isinstance(value, pd.DataFrame):
        tag(b"df", repr(value.shape).encode())
        _feed(h, value.columns)
        _feed(h, value.index)
        for i in range(value.shape[1]):
            _feed(h, value.iloc[:, i].array)
        _feed(h, dict(value.attrs))
    elif isinstance(value, pd.Series):
        tag(b"sr")
        _feed(h, value.name)
        _feed(h, value.index)
        _feed(h, value.array)
        _feed(h, dict(value.attrs))
    elif isinstance(value, pd.Index):
        tag(b"ix" + _qualname(kind).encode())
        _feed(h, list(value.names))
        if isinstance(value, pd.MultiIndex):
            _feed(h, list(value.levels))
            _feed(h, [list(c) for c in value.codes])
        else:
            _feed(h, value.array)
    elif isinstance(value, pd.Categorical):
        tag(b"cat" + repr(value.ordered).encode())
        _feed(h, value.categories)
        _feed(h, value.codes)
    elif isinstance(value, pd.api.extensions.ExtensionArray):
        tag(b"ea" + str(value.dtype).encode())
        import numpy as np

        if hasattr(value, "_ndarray") and isinstance(value._ndarray, np.ndarray):     # numpy-backed arrays
            _feed(h, value._ndarray)
        elif hasattr(value, "_data") and hasattr(value, "_mask"):                     # nullable numbers
            _feed(h, np.asarray(value._data))
            _feed(h, np.asarray(value._mask))
        else:
            _feed(h, np.asarray(value, dtype=object))
    elif value is pd.NaT or value is pd.NA:
        tag(b"na", repr(value).encode())
    elif callable(value) and hasattr(value, "__module__") and hasattr(value, "__qualname__") \
            and "<" not in value.__qualname__ and not hasattr(value, "__self__"):
        tag(b"fn", _qualname(value).encode())          # a module-level function or class
    else:
        raise Unstable(f"no canonical form for {_qualname(kind)}")


def _qualname(obj) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', '?'))}"


def key(*parts: Any) -> str:
    """sha256 (hex) of a canonical form of ``parts``; :class:`Unstable` when one has none."""
    h = hashlib.sha256()
    _feed(h, ["cxreport-cache", FORMAT, list(parts)])
    return h.hexdigest()


@_memo
def code_fingerprint() -> str:
    """cxreport's version and a hash of its whole package (source, locale, packaged data
    such as the standards library) and of its templates and theme. An edited checkout never reuses older entries."""
    from cxreport import __version__
    from cxreport.manifest import tool_fingerprint

    package = Path(__file__).resolve().parent
    # The templates and theme (the chart style file among them) are outside the package.
    h = hashlib.sha256(__version__.encode() + b"\0" + tool_fingerprint()["templates_sha256"].encode() + b"\0")
    for f in sorted(package.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
            h.update(f.relative_to(package).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


LIBRARIES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "pydantic", "vaderSentiment", "snownlp",
             "jieba", "babel", "openpyxl", "pyreadstat", "python-calamine", "pyarrow")


@_memo
def library_versions() -> tuple:
    """Python's and the versions of the libraries whose results a cache entry holds."""
    import platform
    from importlib import metadata

    found = []
    for name in LIBRARIES:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append((name, None))
    return (platform.python_version(), tuple(found))


def sentiment_model() -> str:
    """The analysers behind ``comments.sentiment_scores`` and their versions."""
    from cxreport.scoring import comments

    model = getattr(comments, "SENTIMENT_MODEL", None)
    if model:
        return str(model)
    versions = dict(library_versions()[1])
    return f"vader {versions.get('vaderSentiment')} / snownlp {versions.get('snownlp')}"


# --------------------------------------------------------------------------- the store


def _key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cxreport" / "key"


def signing_key() -> bytes | None:
    """The per-user HMAC key signing pickled entries (created on first use, mode 0600);
    None when it cannot be read or made (studies are then not cached)."""
    path = _key_file()
    try:
        data = path.read_bytes()
        if len(data) >= 32 and (path.stat().st_mode & 0o077) == 0:
            return data
        if len(data) >= 32:
            return None                       # readable by others: not a secret any more
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        # Written whole under a temporary name, then linked into place: a concurrent build
        # never reads a partial key, and the first build to link it wins.
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".key.", dir=path.parent)   # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(os.urandom(32))
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    except OSError:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if len(data) >= 32 else None


class Cache:
    """The cache folder ``root`` (created when first written)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.hits = {"charts": 0, "sentiment": 0, "studies": 0}
        self.misses = {"charts": 0, "sentiment": 0, "studies": 0}

    # ---- files

    def _path(self, kind: str, k: str, suffix: str) -> Path:
        return self.root / kind / k[:2] / f"{k}{suffix}"

    def _read(self, path: Path) -> bytes | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)                    # least recently used goes first when pruning
        return data

    def _write(self, path: Path, data: bytes) -> bool:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _tag_folder(self.root)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            return True
        except OSError:
            return False                      # a cache that cannot be written is no cache

    # ---- charts: a JSON header and the PNGs, with a sha256 over both

    def get_chart(self, k: str):
        from cxreport.present.charts import Chart

        data = self._read(self._path("charts", k, ".chart"))
        chart = None
        head = len(_CHART_MAGIC)
        if data is not None and data.startswith(_CHART_MAGIC) and len(data) >= head + 36:
            digest, body = data[head:head + 32], data[head + 32:]
            if hmac.compare_digest(digest, hashlib.sha256(body).digest()):
                try:
                    size = struct.unpack("<I", body[:4])[0]
                    meta = json.loads(body[4:4 + size].decode("utf-8"))
                    fields, at = dict(meta["text"]), 4 + size
                    for name, length in meta["bytes"]:
                        fields[name] = body[at:at + length]
                        at += length
                    if meta["key"] == k and at == len(body):
                        chart = Chart(**fields)
                except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError):
                    chart = None
        self._count("charts", chart is not None)
        return chart

    def put_chart(self, k: str, chart) -> None:
        """Store every field of ``chart`` (texts in the JSON header, PNGs after it); a chart
        with anything else (an attribute that is not a field, a value of another type) is not
        stored, so a hit always gives back the whole chart."""
        values = vars(chart)
        if set(values) != {f.name for f in dataclasses.fields(chart)}:
            return
        text = {n: v for n, v in values.items() if v is None or type(v) is str}
        blobs = [(n, v) for n, v in values.items() if type(v) is bytes]
        if len(text) + len(blobs) != len(values):
            return
        meta = {"key": k, "text": text, "bytes": [[n, len(v)] for n, v in blobs]}
        header = json.dumps(meta, ensure_ascii=False).encode("utf-8")
        body = struct.pack("<I", len(header)) + header + b"".join(v for _, v in blobs)
        self._write(self._path("charts", k, ".chart"), _CHART_MAGIC + hashlib.sha256(body).digest() + body)

    # ---- signed entries: pickled objects (studies), compiled templates

    def get_signed(self, kind: str, k: str) -> bytes | None:
        """The bytes stored under ``k`` when signed with this user's key, else None."""
        secret = signing_key()
        data = self._read(self._path(kind, k, ".signed")) if secret else None
        head = len(_SIGNED_MAGIC)
        if data is not None and data.startswith(_SIGNED_MAGIC) and len(data) > head + 32:
            signature, body = data[head:head + 32], data[head + 32:]
            expected = hmac.new(secret, kind.encode() + b"\0" + k.encode() + b"\0" + body, hashlib.sha256).digest()
            if hmac.compare_digest(signature, expected):
                return body
        return None

    def put_signed(self, kind: str, k: str, body: bytes) -> bool:
        secret = signing_key()
        if secret is None:
            return False
        signature = hmac.new(secret, kind.encode() + b"\0" + k.encode() + b"\0" + body, hashlib.sha256).digest()
        return self._write(self._path(kind, k, ".signed"), _SIGNED_MAGIC + signature + body)

    def get_object(self, kind: str, k: str, count: bool = True):
        """The object stored under ``k``, or None (missing, corrupt, or not signed with this
        user's key: never unpickled). ``count=False``: the caller counts the hit or miss."""
        import pickle

        body = self.get_signed(kind, k)
        value = None
        if body is not None:
            try:
                value = pickle.loads(body)
            except Exception:  # noqa: BLE001 - a signed entry of an older library: a miss
                value = None
        if count:
            self._count(kind, value is not None)
        return value

    def put_object(self, kind: str, k: str, value) -> bool:
        import pickle

        if signing_key() is None:
            return False
        try:
            body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - something unpicklable: not cached
            return False
        return self.put_signed(kind, k, body)

    # ---- sentiment: one SQLite table (model, sha256 of the text) → score

    def _db(self):
        import sqlite3

        self.root.mkdir(parents=True, exist_ok=True)
        _tag_folder(self.root)
        db = sqlite3.connect(self.root / "sentiment.sqlite", timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS score (model TEXT NOT NULL, text BLOB NOT NULL, value REAL NOT NULL, "
                   "used INTEGER NOT NULL, PRIMARY KEY (model, text)) WITHOUT ROWID")
        return db

    def sentiment(self, texts: list[str], score) -> "np.ndarray":
        """``score(texts)`` (an array of floats), each distinct text looked up first and only
        the texts never scored by this model computed (then stored)."""
        import sqlite3

        import numpy as np

        model = sentiment_model()
        hashes = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest() for t in texts]
        unique = list(dict.fromkeys(hashes))
        known: dict[bytes, float] = {}
        db = None
        try:
            db = self._db()
            for start in range(0, len(unique), 500):
                chunk = unique[start:start + 500]
                rows = db.execute(f"SELECT text, value FROM score WHERE model = ? AND text IN "
                                  f"({','.join('?' * len(chunk))})", [model, *chunk]).fetchall()
                known.update((bytes(h), float(v)) for h, v in rows)
        except sqlite3.DatabaseError:
            db = self._reset_db(db)
        except OSError:
            db = None                         # a folder that cannot be written: no cache
        first = {}
        for i, h in enumerate(hashes):
            if h not in known and h not in first:
                first[h] = i
        todo = list(first.values())
        self.hits["sentiment"] += len(unique) - len(todo)
        self.misses["sentiment"] += len(todo)
        if todo:
            new = np.asarray(score([texts[i] for i in todo]), dtype=float)
            fresh = {hashes[i]: float(v) for i, v in zip(todo, new)}
            known.update(fresh)
            today = int(time.time() // 86400)
            if db is not None:
                try:
                    db.execute("BEGIN IMMEDIATE")
                    db.executemany("INSERT OR REPLACE INTO score VALUES (?, ?, ?, ?)",
                                   [(model, h, v, today) for h, v in fresh.items()])
                    db.execute("COMMIT")
                except sqlite3.DatabaseError:
                    with contextlib.suppress(sqlite3.DatabaseError):
                        db.execute("ROLLBACK")
        if db is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                db.execute("UPDATE score SET used = ? WHERE model = ? AND used < ?",
                           [int(time.time() // 86400), model, int(time.time() // 86400)])
            db.close()
        return np.array([known[h] for h in hashes], dtype=float)

    def _reset_db(self, db):
        """A damaged database: moved aside (concurrent readers keep their handle) and made anew."""
        import sqlite3

        if db is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                db.close()
        path = self.root / "sentiment.sqlite"
        with contextlib.suppress(OSError):
            os.replace(path, self.root / f".sentiment.damaged.{os.getpid()}")
        for extra in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(str(path) + extra)
        with contextlib.suppress(OSError):
            os.unlink(self.root / f".sentiment.damaged.{os.getpid()}")
        try:
            return self._db()
        except (sqlite3.DatabaseError, OSError):
            return None

    def _count(self, kind: str, hit: bool) -> None:
        (self.hits if hit else self.misses)[kind] = (self.hits if hit else self.misses).get(kind, 0) + 1


def _tag_folder(root: Path) -> None:
    """Mark the folder as a cache (backup tools skip it; see bford.info/cachedir)."""
    tag = root / "CACHEDIR.TAG"
    if not tag.exists():
        with contextlib.suppress(OSError):
            tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n"
                           "# This folder is a cache made by cxreport (docs/cache.md); it can be deleted.\n")


# --------------------------------------------------------------------------- pruning


def cap_bytes() -> int:
    try:
        mb = float(os.environ.get("CXREPORT_CACHE_MB", DEFAULT_CAP_MB))
    except ValueError:
        mb = DEFAULT_CAP_MB
    return int(max(mb, 0) * 1024 * 1024)


def prune(root: str | Path, cap: int | None = None) -> int:
    """Delete least recently used entries until the folder holds at most ``cap`` bytes
    (default :func:`cap_bytes`); the sentiment database, when it alone is over a quarter
    of the cap, loses its scores unused for longest. Returns the bytes removed."""
    root = Path(root)
    cap = cap_bytes() if cap is None else cap
    if not root.is_dir():
        return 0
    removed = 0
    db = root / "sentiment.sqlite"
    db_size = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())
    if db_size > cap // 4:
        removed += _prune_db(db, cap // 4, db_size)
        db_size = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())
    entries = []
    now = time.time()
    for path in root.glob("*/*/*"):
        try:
            st = path.stat()
        except OSError:
            continue
        if path.name.endswith(".tmp") and now - st.st_mtime < 3600:
            continue                          # being written by a running build
        entries.append((st.st_mtime, st.st_size, path))
    total = db_size + sum(size for _, size, _ in entries)
    for _mtime, size, path in sorted(entries, key=lambda e: e[0]):
        if total <= cap:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            removed += size
        total -= size
    return removed


def _prune_db(path: Path, limit: int, size: int) -> int:
    import sqlite3

    try:
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        n = db.execute("SELECT count(*) FROM score").fetchone()[0]
        keep = int(n * limit / size * 0.8) if size else n
        db.execute("DELETE FROM score WHERE (model, text) NOT IN "
                   "(SELECT model, text FROM score ORDER BY used DESC LIMIT ?)", [keep])
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
        db.close()
    except sqlite3.DatabaseError:
        return 0
    after = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return max(size - after, 0)


# --------------------------------------------------------------------------- helpers for the pipeline


def sentiment_scores(texts: list[str]) -> "np.ndarray":
    """:func:`cxreport.scoring.comments.sentiment_scores` through the active cache: each
    distinct text is scored once per sentiment model, ever; the same numbers either way."""
    from cxreport.scoring import comments

    store = active()
    if store is None or not texts:
        return comments.sentiment_scores(texts)
    return store.sentiment(list(texts), comments.sentiment_scores)


_READS: dict[str, Any] = {"files": None, "hooked": False}


def _audit(event: str, args: tuple) -> None:
    files = _READS["files"]
    if files is not None and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        files.add(os.fsdecode(args[0]))


@contextlib.contextmanager
def recording_reads():
    """The set of paths this process opens during the block (Python's ``open`` audit event:
    every file read through Python, whichever loader reads it)."""
    import sys

    if not _READS["hooked"]:
        sys.addaudithook(_audit)
        _READS["hooked"] = True
    previous, files = _READS["files"], set()
    _READS["files"] = files
    try:
        yield files
    finally:
        _READS["files"] = previous
        if previous is not None:
            previous |= files


def recorded_reads() -> set[str] | None:
    """What the innermost :func:`recording_reads` block has recorded so far (None: no block)."""
    files = _READS["files"]
    return None if files is None else set(files)


def add_reads(paths) -> None:
    """Record ``paths`` as opened in the innermost :func:`recording_reads` block: what a
    forked child read for this process (cxreport/beside.py)."""
    files = _READS["files"]
    if files is not None:
        files.update(paths)


def hash_reads(paths, skip=frozenset(), cache_root: Path | None = None) -> dict[str, str] | None:
    """path → sha256 of the regular files among ``paths`` that a cached study depends on:
    not Python's or the libraries' own files (their versions are in the key), not cxreport's
    (the code fingerprint), not ``skip`` (the narrative). None when one cannot be read."""
    import sys

    from cxreport.util import sha256_file

    package = Path(__file__).resolve().parent
    ignored = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)} | {package}
    from cxreport.resources import templates_dir

    ignored.add(Path(templates_dir()).resolve())
    if cache_root is not None:
        ignored.add(Path(cache_root).resolve())
    out = {}
    for name in sorted(paths):
        path = Path(name).resolve()
        if (path in skip or path.suffix in (".py", ".pyc") or path.parts[1:2] in (("proc",), ("sys",), ("dev",))
                or any(path.is_relative_to(p) for p in ignored) or not path.is_file()):
            continue
        try:
            out[str(path)] = sha256_file(path)
        except OSError:
            return None
    return out


def template_bytecode():
    """A Jinja bytecode cache in the active cache (None without one): compiled templates are
    Python code, so they are signed like studies. The key adds cxreport's code (the
    environment's settings), Jinja's version, the template's name and its source's checksum."""
    store = active()
    if store is None or signing_key() is None:
        return None
    import jinja2

    class SignedBytecode(jinja2.BytecodeCache):
        def _key(self, bucket) -> str:
            return key("jinja", code_fingerprint(), library_versions(), jinja2.__version__, bucket.key,
                       bucket.checksum)

        def load_bytecode(self, bucket) -> None:
            data = store.get_signed("templates", self._key(bucket))
            if data is not None:
                bucket.bytecode_from_string(data)      # checks Jinja's magic (Python version) too

        def dump_bytecode(self, bucket) -> None:
            store.put_signed("templates", self._key(bucket), bucket.bytecode_to_string())

    return SignedBytecode()
