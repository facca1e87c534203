"""The consistency-across-channels section (issue 16, item 5).

Stub until the section is built: returns None (the section is left out).
"""

from __future__ import annotations


def consistency_context(study, cs=None, *, client_charts: bool = True) -> dict | None:
    return None
