"""The suggested-themes appendix (issue 16, item 3).

Stub until the section is built: returns None (the section is left out).
"""

from __future__ import annotations


def suggestions_context(study) -> dict | None:
    return None
