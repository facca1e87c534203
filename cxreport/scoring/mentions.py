"""Mentions of a multi-punch question: how many respondents ticked each code.

The base is the respondents who answered the question (ticked at least one valid code);
a respondent counts once in every code ticked, so the percentages can add up to more
than 100. Weighted studies weight the percentages (weighted count ÷ weighted base) and
show unweighted counts. The small-base rules apply to the base: under ``suppress_below``
answers no percentage is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cxreport.scoring.kpis import BaseRules
from cxreport.validate import MultiPunchAnswers


@dataclass(frozen=True)
class Mention:
    code: str
    label: str
    count: int                 # respondents who ticked it (unweighted)
    weighted_count: float
    pct: float | None          # % of the answered base (weighted when the study is); None when suppressed


@dataclass
class MentionTable:
    name: str
    column: str
    question: str
    base: int                  # respondents who answered
    weighted_base: float
    base_flag: str             # ok, small or suppressed
    not_answered: int
    weighted: bool
    rows: list[Mention] = field(default_factory=list)   # most mentioned first

    @property
    def total_pct(self) -> float | None:
        """Sum of the percentages: above 100 when respondents ticked several codes."""
        shown = [r.pct for r in self.rows if r.pct is not None]
        return sum(shown) if shown else None

    @property
    def mentions_per_respondent(self) -> float | None:
        return sum(r.count for r in self.rows) / self.base if self.base else None


def mention_table(answers: MultiPunchAnswers, weights: np.ndarray, weighted: bool, rules: BaseRules) -> MentionTable:
    answered = answers.answered
    w = weights if weighted else np.ones(len(answered))
    base = int(answered.sum())
    weighted_base = float(w[answered].sum())
    flag = rules.classify(base)
    rows = []
    for k, (code, label) in enumerate(zip(answers.codes, answers.labels)):
        ticked = answers.ticked[:, k] & answered
        count = int(ticked.sum())
        weighted_count = float(w[ticked].sum())
        pct = 100.0 * weighted_count / weighted_base if weighted_base > 0 and flag != "suppressed" else None
        rows.append((k, Mention(code, label, count, weighted_count, pct)))
    rows.sort(key=lambda item: (-item[1].weighted_count, item[0]))
    return MentionTable(answers.name, answers.column, answers.question, base, weighted_base, flag,
                        int((~answered).sum()), weighted, [m for _k, m in rows])


def mention_tables(data, rules: BaseRules) -> list[MentionTable]:
    """A table for every multi-punch question the project shows as mentions."""
    return [mention_table(m, data.weights, data.weighted, rules) for m in data.multi if m.mentions]
