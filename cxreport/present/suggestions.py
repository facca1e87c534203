"""The suggested-themes appendix (issue 16, item 3): the uncoded comments' frequent, distinctive phrases,
for the consultant who extends the code frame (docs/suggested-themes.md).

Everything shown is read from the study's :class:`cxreport.scoring.voc_suggest.StudySuggestions` (the JSON
block and the workbook sheet read the same object)."""

from __future__ import annotations

from cxreport.i18n import _


def _inside(short: str, long: str) -> bool:
    """``short`` is part of ``long``: whole words of a spaced phrase, characters of a Chinese one."""
    if " " in long or " " in short or short.isascii():
        return f" {short.casefold()} " in f" {long.casefold()} "
    return short in long


def _distinct(phrases: list) -> list:
    """The phrases worth reading in the report: a phrase used by no more comments than a longer phrase
    of the same suggestion that contains it says nothing new ("took ownership" beside "nobody took
    ownership"), so the report leaves it out; the JSON and the workbook list every phrase."""
    return [p for k, p in enumerate(phrases)
            if k == 0 or not any(q is not p and len(q.phrase) > len(p.phrase) and q.comments >= p.comments
                                 and _inside(p.phrase, q.phrase) for q in phrases)]


def suggestions_context(study) -> dict | None:
    """The section's figures as printed, or None when there is nothing to suggest (no comments, no uncoded
    comment, no phrase reaching the threshold, or ``comments.suggestions.max: 0``)."""
    s = getattr(study, "suggestions", None)
    if s is None or not s.themes:
        return None
    r = s.suggestions
    rows = []
    for theme in s.themes:
        others = [p.phrase for p in _distinct(theme.phrases)[1:]]
        rows.append({"label": theme.label, "phrases": others, "comments": theme.comments, "share": theme.share,
                     "coded": theme.coded_comments, "keyness": theme.phrases[0].score if theme.phrases else None,
                     "examples": [e.text for e in theme.examples]})
    return {
        "period": study.scope("comments").label,
        "comments": r.n_comments, "uncoded": r.n_uncoded, "coded": r.n_coded,
        "uncoded_pct": 100 * r.n_uncoded / r.n_comments if r.n_comments else None,
        "min_comments": r.min_comments, "keyness": r.method == "log-likelihood",
        "segmenter": r.segmenter, "user_words": list(s.user_words), "rows": rows,
    }


def suggestions_sheet(study) -> list[tuple]:
    """The workbook's "Suggested themes" sheet (none without suggestions): one row per phrase of
    every suggested theme, with the theme's counts on its first row and its examples after."""
    from cxreport.present.formatting import num

    s = getattr(study, "suggestions", None)
    if s is None or not s.themes:
        return []
    r = s.suggestions
    rows = []
    for k, theme in enumerate(s.themes, 1):
        for j, p in enumerate(theme.phrases):
            lead = j == 0
            rows.append([k, theme.label if lead else "", theme.comments if lead else None,
                         theme.share if lead else None, theme.coded_comments if lead else None, p.phrase, p.comments,
                         p.share, p.coded_comments, round(p.score, 3),
                         " · ".join(e.text for e in theme.examples) if lead else ""])
    description = _("{period}: {u} of {n} comments matched no theme of the code frame; the phrases they use "
                    "most, grouped into suggested themes (a phrase needs {m} uncoded comments).").format(
        period=study.scope("comments").label, u=num(r.n_uncoded), n=num(r.n_comments), m=num(r.min_comments))
    header = [_("Rank"), _("Suggested theme"), _("Uncoded comments"), _("Share of uncoded %"),
              _("Coded comments"), _("Phrase"), _("Phrase: uncoded comments"), _("Phrase: share of uncoded %"),
              _("Phrase: coded comments"), _("Keyness (G²)"), _("Examples (masked)")]
    formats = ["count", "", "count", "percent", "count", "", "count", "percent", "count", "decimal", ""]
    notes = [_("Counts are comments, unweighted. Keyness: log-likelihood G² of the phrase in the uncoded against "
               "the coded comments (positive: more frequent among the uncoded ones).")]
    return [(_("Suggested themes"), description, header, formats, rows, notes)]
