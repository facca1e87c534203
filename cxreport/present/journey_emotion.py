"""Emotion on the journey map (issue 16, item 4).

Stub until the section is built: returns None (the section is left out).
"""

from __future__ import annotations


def emotion_context(study, cs=None, *, client_charts: bool = True) -> dict | None:
    return None
