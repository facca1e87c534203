"""Scores JSON: `consistency` (issue 16, item 5)."""

from __future__ import annotations

from cxreport.jsonschema import Key, arr, key, mapping, obj  # noqa: F401  (the block's description)

CONSISTENCY: tuple[Key, ...] = ()

def consistency_dict(study) -> dict | None:
    return None
