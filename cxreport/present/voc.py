"""Theme impact and theme trends sections of the client report (issue 16, items 1–2).

Stub until the section is built: returns None (the section is left out).
"""

from __future__ import annotations


def theme_impact_context(study, cs=None, *, client_charts: bool = True) -> dict | None:
    return None


def theme_trends_context(study, cs=None, *, client_charts: bool = True) -> dict | None:
    return None
