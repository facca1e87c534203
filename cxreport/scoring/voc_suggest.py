"""Suggested themes for the study: the uncoded comments' frequent, distinctive phrases (issue 16, item 3).

Stub: the pipeline calls :func:`study_suggestions`; it returns None until the section is built.
"""

from __future__ import annotations


def study_suggestions(project, voice):
    return None
