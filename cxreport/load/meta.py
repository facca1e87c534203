"""Labels from a Quantipy ``.meta.json`` beside a data file (``survey.meta``).

Quantipy (and the tools that write its format, such as exports from Dimensions ``.mdd``)
keeps the questionnaire in JSON: for each column its question text per language and its
answer codes with their texts, either in place or as a reference ``"lib@values@q5"`` into
the shared library of value lists. This reads, for every column, the question text and
the code → text map, in the file's default text language (``lib["default text"]``, else
the first language given).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cxreport.errors import DataError
from cxreport.load.cells import code_text

MAX_META_BYTES = 50_000_000


def _text(value: Any, language: str | None) -> str:
    if isinstance(value, dict):
        if language and isinstance(value.get(language), str):
            return value[language].strip()
        first = next((v for v in value.values() if isinstance(v, str)), "")
        return first.strip()
    return str(value).strip() if isinstance(value, str) else ""


def read_quantipy_meta(path: Path, name: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(column → question text, column → {code text → value text})."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{name}: file not found") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot read the file ({exc.strerror})") from None
    if len(raw) > MAX_META_BYTES:
        raise DataError(f"{name}: the labels file is larger than {MAX_META_BYTES // 1_000_000} MB")
    try:
        meta = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError(f"{name}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{name}: invalid JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    columns = meta.get("columns") if isinstance(meta, dict) else None
    if not isinstance(columns, dict):
        raise DataError(f"{name}: not a Quantipy meta file (no \"columns\" mapping)")
    lib = meta.get("lib") if isinstance(meta.get("lib"), dict) else {}
    language = lib.get("default text") if isinstance(lib.get("default text"), str) else None
    shared = lib.get("values") if isinstance(lib.get("values"), dict) else {}
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[str, str]] = {}
    for column, spec in columns.items():
        if not isinstance(spec, dict):
            continue
        text = _text(spec.get("text"), language)
        if text:
            labels[str(column)] = text
        values = spec.get("values")
        if isinstance(values, str) and values.startswith("lib@values@"):
            values = shared.get(values.removeprefix("lib@values@"))
        if isinstance(values, list):
            mapping = {}
            for entry in values:
                if isinstance(entry, dict) and "value" in entry:
                    label = _text(entry.get("text"), language)
                    mapping[code_text(entry["value"])] = label or code_text(entry["value"])
            if mapping:
                value_labels[str(column)] = mapping
    return labels, value_labels
