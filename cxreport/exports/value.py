"""Scores JSON: `customer_value` (issue 16, item 6)."""

from __future__ import annotations

from cxreport.jsonschema import Key, arr, key, mapping, obj  # noqa: F401  (the block's description)

CUSTOMER_VALUE: tuple[Key, ...] = ()

def customer_value_dict(study) -> dict | None:
    return None
