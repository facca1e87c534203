"""``manifest.json``: what a build read, with which settings, and what it wrote.

Every ``cxreport build`` and ``cxreport shop report`` writes one in its output folder:
the tool version, the sha256 of the project (or programme) file and of every input file it
names, the settings, and each output with its sha256 and the key it was built from. An
output's *key* is a sha256 over everything its content depends on (tool version and
templates, input hashes, report kind, format, unit; for shop reports the whole report
context). A repeated build skips an output whose key is unchanged and whose file still
has the recorded hash; ``--force`` rebuilds everything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from cxreport import __version__
from cxreport.errors import RenderError
from cxreport.util import atomic_write_bytes, sha256_file

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def rel(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` in POSIX form when inside it, else absolute."""
    path, base = Path(path).resolve(), Path(base).resolve()
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)


# --------------------------------------------------------------------------- hashing


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return [path] if path.is_file() else []


def hash_inputs(paths: list[Path], base: Path) -> dict[str, str]:
    """name (relative to ``base``) → sha256 for every file among ``paths`` (folders are
    walked); a path that does not exist is recorded as ``"missing"``."""
    out: dict[str, str] = {}
    for path in paths:
        files = _files(Path(path))
        if not files:
            out[rel(path, base)] = "missing"
        for f in files:
            out[rel(f, base)] = sha256_file(f)
    return dict(sorted(out.items()))


def model_paths(model: Any) -> list[Path]:
    """Every file path named in a config model (pydantic), in field order, without the
    model's own ``path`` (the project or programme file itself)."""
    found: list[Path] = []

    def walk(value: Any) -> None:
        if isinstance(value, Path):
            found.append(value)
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                if name != "path":
                    walk(getattr(value, name))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    walk(model)
    return list(dict.fromkeys(found))


def project_inputs(project) -> list[Path]:
    """The files a client report or review of ``project`` reads, besides the project file."""
    paths = model_paths(project)
    narrative = getattr(getattr(getattr(project, "report", None), "narrative", None), "per_unit", None)
    if narrative:
        # Every unit's own narrative (report.narrative.per_unit) is an input of the unit reports.
        base = Path(project.base_dir).resolve()
        paths += sorted(p.resolve() for p in base.glob(narrative.replace("{unit}", "*")) if p.is_file())
    programme = getattr(getattr(project, "quarterly", None), "programme", None)
    if programme is not None:
        # The review includes the programme's results: its own files and its ledger.
        try:
            from cxreport.shop.loadprog import load_programme

            prog = load_programme(programme)
            paths += model_paths(prog) + [prog.ledger_path]
        except Exception:  # noqa: BLE001 - the build itself reports an unusable programme
            pass
    return list(dict.fromkeys(paths))


@cache
def tool_fingerprint() -> dict[str, str]:
    """The tool version and a hash of its templates, theme and code (an edited template or
    module in a development checkout rebuilds like a new version does)."""
    from cxreport.resources import templates_dir

    digest = hashlib.sha256()
    root = templates_dir()
    for f in _files(root):
        if "starter" in f.relative_to(root).parts:
            continue
        digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    code = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for f in sorted(package.rglob("*.py")):
        code.update(f.relative_to(package).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return {"name": "cxreport", "version": __version__, "templates_sha256": digest.hexdigest(),
            "code_sha256": code.hexdigest()}


def _feed(h, value: Any) -> None:
    """Feed a canonical form of ``value`` to the hash ``h`` (dict keys sorted)."""
    import numpy as np

    if isinstance(value, dict):
        h.update(b"{")
        for k in sorted(value, key=str):
            _feed(h, str(k))
            _feed(h, value[k])
        h.update(b"}")
    elif isinstance(value, (list, tuple)):
        h.update(b"[")
        for v in value:
            _feed(h, v)
        h.update(b"]")
    elif isinstance(value, bytes):
        h.update(b"b%d:" % len(value) + value)
    elif isinstance(value, str):
        data = value.encode("utf-8")
        h.update(b"s%d:" % len(data) + data)
    elif value is None or isinstance(value, (bool, int, float)):
        h.update(repr(value).encode() + b";")
    elif isinstance(value, (dt.date, dt.datetime, dt.time)):
        h.update(value.isoformat().encode() + b";")
    elif isinstance(value, np.ndarray):
        h.update(str(value.dtype).encode() + str(value.shape).encode() + np.ascontiguousarray(value).tobytes())
    elif isinstance(value, np.generic):
        _feed(h, value.item())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        _feed(h, [type(value).__name__, {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}])
    elif isinstance(value, BaseModel):
        _feed(h, [type(value).__name__, value.model_dump(mode="json")])
    else:
        h.update(repr(value).encode() + b";")


def digest(value: Any) -> str:
    """sha256 of a canonical form of plain data (dicts, lists, numbers, text, dates,
    numpy arrays, dataclasses)."""
    h = hashlib.sha256()
    _feed(h, value)
    return h.hexdigest()


# --------------------------------------------------------------------------- the file


@dataclasses.dataclass
class Manifest:
    path: Path
    data: dict

    @property
    def outputs(self) -> dict[str, dict]:
        return {o["file"]: o for o in self.data.get("outputs", []) if isinstance(o, dict) and "file" in o}

    def up_to_date(self, out_dir: Path, file: str, key: str) -> bool:
        """The output ``file`` was built from ``key`` and is still as it was written."""
        entry = self.outputs.get(file)
        if entry is None or entry.get("key") != key:
            return False
        target = out_dir / file
        return target.is_file() and target.stat().st_size == entry.get("bytes") and sha256_file(target) == entry.get("sha256")


def read(out_dir: Path) -> tuple[Manifest, str | None]:
    """The manifest in ``out_dir`` (empty when there is none) and a warning when it could
    not be used."""
    path = Path(out_dir) / MANIFEST
    empty = Manifest(path, {})
    if not path.is_file():
        return empty, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return empty, f"{path}: unreadable ({exc}); every output is rebuilt"
    if not isinstance(data, dict) or data.get("manifest") != FORMAT_VERSION:
        return empty, f"{path}: not a cxreport manifest of this version; every output is rebuilt"
    return Manifest(path, data), None


def output_entry(out_dir: Path, file: str, key: str, **fields) -> dict:
    target = Path(out_dir) / file
    built = fields.pop("built", None) or now()
    return {"file": file, "sha256": sha256_file(target), "bytes": target.stat().st_size, "key": key,
            **fields, "built": built}


def write(out_dir: Path, *, kind: str, source: dict, inputs: dict[str, str], settings: dict,
          outputs: list[dict], failures: list[dict], previous: Manifest, replaces: set[str],
          started: str) -> Path:
    """Write ``manifest.json`` atomically. Entries of the previous manifest for files this
    build does not produce are kept while their file exists, unless this build
    ``replaces`` them (outputs it no longer produces, or failed to rebuild). A file that
    cannot be written is a :class:`~cxreport.errors.RenderError` naming it (exit 1)."""
    produced = {o["file"] for o in outputs}
    kept = [o for f, o in previous.outputs.items()
            if f not in produced and f not in replaces and (Path(out_dir) / f).is_file()]
    data = {
        "manifest": FORMAT_VERSION,
        "tool": tool_fingerprint(),
        "kind": kind,
        "started": started,
        "finished": now(),
        **source,
        "inputs": inputs,
        "settings": settings,
        "outputs": sorted(outputs, key=lambda o: o["file"]) + sorted(kept, key=lambda o: o["file"]),
        "failures": failures,
    }
    path = Path(out_dir) / MANIFEST
    try:
        atomic_write_bytes(path, (json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n").encode("utf-8"))
        os.chmod(path, 0o644)   # readable like the reports beside it
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc.strerror}") from None
    return path
