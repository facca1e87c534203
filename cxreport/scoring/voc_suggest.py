"""Suggested themes for the study: the uncoded comments' frequent, distinctive phrases (issue 16, item 3).

The study step runs :func:`cxreport.scoring.suggest.suggest_themes` on the comments the comment analysis
read (``voice``: the window's, or the comments section's pooled run's), with the flags of the comments no
theme of the code frame matched, and the project's settings:

- ``comments.suggestions.max`` suggested themes at most (0: none, and the step returns None);
- ``comments.suggestions.min_comments`` uncoded comments a phrase needs (default, as the project file
  documents it: 0.5 % of the uncoded comments, at least 5);
- ``comments.suggestions.examples`` masked examples per suggested theme (masked with the project's
  ``comments.mask_names`` besides e-mails, phone, card and account numbers);
- ``comments.user_words`` kept whole (added to the Chinese segmenter's dictionary), ``comments.stop_words``
  ignored besides the built-in lists.

Deterministic: the same comments and settings give the same suggestions in the same order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cxreport.errors import ConfigError
from cxreport.scoring.suggest import ThemeSuggestions, suggest_themes

#: The default threshold: a phrase in at least this share of the uncoded comments …
DEFAULT_SHARE = 0.005
#: … and in at least this many.
DEFAULT_FLOOR = 5


@dataclass
class StudySuggestions:
    """The suggested themes of the study's comments and the settings they were found with."""

    suggestions: ThemeSuggestions     # the computation's result (other sections read it by this name)
    max: int                          # comments.suggestions.max
    examples: int                     # comments.suggestions.examples
    min_comments: int                 # the threshold used (configured or the default)
    min_configured: bool              # comments.suggestions.min_comments was set
    user_words: list[str]
    stop_words: list[str]

    @property
    def themes(self):
        return self.suggestions.suggestions


def default_min_comments(n_uncoded: int) -> int:
    """0.5 % of the uncoded comments, at least 5 (comments.suggestions.min_comments's default)."""
    return max(DEFAULT_FLOOR, math.ceil(DEFAULT_SHARE * n_uncoded - 1e-9))


def study_suggestions(project, voice) -> StudySuggestions | None:
    """The suggested themes of ``voice`` (a :class:`cxreport.scoring.comments.CommentAnalysis`), or None
    without comments or with ``comments.suggestions.max: 0``."""
    cfg = project.comments
    if cfg is None or voice is None or not project.columns.comment:
        return None
    settings = cfg.suggestions
    if settings.max == 0:
        return None
    for name in ("user_words", "stop_words"):
        for k, word in enumerate(getattr(cfg, name)):
            if not word.strip():
                raise ConfigError(f"comments.{name}[{k}]: an empty word (give a word or leave the entry out)")
    uncoded = voice.uncoded_mask
    n_uncoded = int(uncoded.sum())
    configured = settings.min_comments is not None
    threshold = settings.min_comments if configured else default_min_comments(n_uncoded)
    result = suggest_themes(voice.texts, uncoded, user_words=list(cfg.user_words), stop_words=list(cfg.stop_words),
                            max_suggestions=settings.max, min_comments=threshold, examples=settings.examples,
                            extra_names=list(cfg.mask_names))
    return StudySuggestions(result, settings.max, settings.examples, result.min_comments, configured,
                            list(cfg.user_words), list(cfg.stop_words))
