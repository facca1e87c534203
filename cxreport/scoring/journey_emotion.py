"""Emotion by touchpoint and journey stage for the journey map (issue 16, item 4).

The study step links every scored comment of the comment analysis (``voice``: the window's
comments, or the comments section's pooled run's) to its respondent's touchpoint and stage
(the journey's ``journey.touchpoint`` and ``journey.stage`` segments, read in the same rows the
comments were analysed in) and hands them to :func:`cxreport.scoring.emotion.emotion_map`
with the sentiment scores and labels of the comment analysis, the respondents' weights, the
code frame's theme flags (for the dominant negative theme) and the project's significance
level and adjustment. Touchpoints and stages are in the journey map's order, and a
touchpoint sits in the stage the map puts it in; a touchpoint or stage no comment is linked
to is left out of the emotion tables (the map shows a dash).

None without comments, without a journey from stage and touchpoint segments (the
``touchpoints:`` form rates attributes and links no comment to a touchpoint), with
``journey.emotion: false``, or when no comment is linked to a touchpoint of the map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxreport.scoring.emotion import EmotionMap, emotion_map


@dataclass
class JourneyEmotion:
    """The tone of the comments on the journey map."""

    map: EmotionMap                   # touchpoints and stages (cxreport.scoring.emotion)
    comments: int                     # comments with text in the rows analysed
    linked: int                       # of which linked to a touchpoint of the map
    weighted: bool                    # the figures are weighted (the survey's weights)

    @property
    def touchpoints(self):
        return self.map.touchpoints

    @property
    def stages(self):
        return self.map.stages


def journey_emotion(project, view, voice, journey, rules, alpha) -> JourneyEmotion | None:
    cfg = project.journey
    if (cfg is None or not cfg.emotion or cfg.touchpoints or journey is None or voice is None
            or project.comments is None or not project.columns.comment or not len(voice.positions)):
        return None
    data = view.section_data("comments", project)
    segments = {s.name: s for s in data.segments}
    tp_seg, st_seg = segments.get(cfg.touchpoint), segments.get(cfg.stage)
    if tp_seg is None or st_seg is None:      # the journey map has already said which is missing
        return None
    positions = voice.positions

    def labels_of(seg) -> np.ndarray:
        names = np.array(list(seg.labels) + [None], dtype=object)
        codes = np.asarray(seg.codes)[positions]
        return names[np.where(codes >= 0, codes, len(seg.labels))]

    touchpoints, stages = labels_of(tp_seg), labels_of(st_seg)
    present_tp = {t for t in touchpoints[~np.isnan(voice.scores)] if t is not None}
    present_st = {s for s in stages[~np.isnan(voice.scores)] if s is not None}
    tp_order = [t.name for t in journey.touchpoints if t.name in present_tp]
    if not tp_order:
        return None
    stage_order = [s for s in journey.stages if s in present_st]
    stage_of = {t.name: t.stage for t in journey.touchpoints}
    flags = {theme: np.asarray(found, dtype=bool) for theme, found in voice.coded.items()}
    weights = np.asarray(data.weights, dtype=float)[positions] if data.weighted else None
    emap = emotion_map(voice.scores, touchpoints, stages, weights,
                       stage_of=stage_of, labels=voice.labels, themes=flags, touchpoint_order=tp_order,
                       stage_order=stage_order or None, rules=rules, alpha=float(alpha),
                       adjust=getattr(alpha, "adjust", project.significance.adjust))
    linked = int(sum(g.n for g in emap.touchpoints.groups))
    return JourneyEmotion(emap, len(voice.positions), linked, bool(data.weighted))
