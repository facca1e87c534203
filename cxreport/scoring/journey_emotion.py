"""Emotion by touchpoint and journey stage for the journey map (issue 16, item 4).

Stub: the pipeline calls :func:`journey_emotion`; it returns None until the section is built.
"""

from __future__ import annotations


def journey_emotion(project, view, voice, journey, rules, alpha):
    return None
