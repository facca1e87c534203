"""Scores JSON: `suggested_themes` and `emotion` (issue 16, items 3–4)."""

from __future__ import annotations

from cxreport.jsonschema import Key, arr, key, mapping, obj  # noqa: F401  (the block's description)

SUGGESTED_THEMES: tuple[Key, ...] = ()
EMOTION: tuple[Key, ...] = ()

def suggested_themes_dict(study) -> dict | None:
    return None


def emotion_dict(study) -> dict | None:
    return None
