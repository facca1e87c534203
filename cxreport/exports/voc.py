"""Scores JSON: `theme_impact` and `theme_trends` (issue 16, items 1–2)."""

from __future__ import annotations

from cxreport.jsonschema import Key, arr, key, mapping, obj  # noqa: F401  (the block's description)

THEME_IMPACT: tuple[Key, ...] = ()
THEME_TRENDS: tuple[Key, ...] = ()

def theme_impact_dict(study) -> dict | None:
    return None


def theme_trends_dict(study) -> dict | None:
    return None
