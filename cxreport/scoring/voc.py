"""Theme impact, themes and sentiment over time, emerging themes: the study step (issue 16, items 1–2).

Stub: the pipeline calls :func:`comment_insights`; it returns None until the section is built.
"""

from __future__ import annotations


def comment_insights(project, view, voice, sentiment, rules, alpha, suggestions=None):
    """The study's theme impact (window), theme trends (every period up to the window's end)
    and emerging themes, or None when the project has no comments."""
    return None
