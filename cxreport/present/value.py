"""The customer value section (issue 16, item 6).

Stub until the section is built: returns None (the section is left out).
"""

from __future__ import annotations


def value_context(study, cs=None, *, client_charts: bool = True) -> dict | None:
    return None
