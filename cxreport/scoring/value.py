"""Customer value: RFM scores and segments, the value tier, the join of a customer file to
the survey, NPS/CSAT by value segment, satisfied-but-not-loyal customers and churn by NPS
group (issue 16, item 6).

Pure functions: plain arrays in, dataclasses out. Inputs are aligned arrays (one entry per
customer, or per respondent); the caller (the pipeline, from :mod:`cxreport.load.customers`
and the validated survey) adds the file and row context to any error.

RFM scores (METHODS.md §12)
    Recency (days since the last purchase), frequency (purchases) and monetary value (spend)
    over a stated window each become a score 1–5: the customers are ranked (ties broken by
    file order: a stable sort, so of two equal values the one earlier in the file ranks
    lower), score = ceil(5 × rank / n), ranked so that 5 is best (recency: days descending;
    frequency and monetary: ascending). With n a multiple of 5 each score holds exactly a
    fifth of the customers (quintiles).

RFM segments
    The named segments are those of the ``rfm`` package for R (Hebbali, CRAN; the
    documented example of ``rfm_segment()``, R/rfm-segment.R, rsquaredacademy/rfm, the
    scheme of the blog post "Customer Segmentation using RFM Analysis", 2019): each segment
    is a box of R, F and M score ranges, checked in order; a customer takes the first box
    that holds its scores, and a customer in none of them is "Others". See :data:`SEGMENTS`.

Value tier
    The top 20 % of customers by monetary value (ceil(0.2 × n) customers, by the monetary
    ranks above, so ties follow file order), with their share of total value: the "20 % of
    customers that bring 80 % of value" check. With n a multiple of 5 the tier is exactly
    the customers with M = 5.

Decisions where METHODS.md is silent are noted at each function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxreport.errors import DataError
from cxreport.scoring import stats
from cxreport.scoring.kpis import BaseRules

# --------------------------------------------------------------------------- RFM scores

#: Segment boxes (name, (R low, R high), (F low, F high), (M low, M high)), checked in order;
#: the first box holding a customer's scores names its segment. From the documented example
#: of ``rfm_segment()`` in the R package rfm (rsquaredacademy/rfm, R/rfm-segment.R).
SEGMENTS: tuple[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]], ...] = (
    ("Champions", (5, 5), (5, 5), (5, 5)),
    ("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
    ("Loyal Customers", (2, 4), (2, 4), (2, 4)),
    ("Promising", (3, 4), (1, 3), (3, 5)),
    ("New Customers", (4, 5), (1, 3), (1, 5)),
    ("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
    ("At Risk", (1, 2), (2, 5), (4, 5)),
    ("Need Attention", (1, 3), (3, 5), (3, 5)),
    ("About To Sleep", (2, 3), (1, 3), (1, 4)),
    ("Lost", (1, 1), (1, 5), (1, 5)),
)
OTHERS = "Others"
#: Every segment name, in the order of :data:`SEGMENTS`, then "Others".
SEGMENT_NAMES: tuple[str, ...] = tuple(s[0] for s in SEGMENTS) + (OTHERS,)

#: Share of customers in the value tier.
TOP_SHARE = 0.2


def quintile_scores(values, *, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1–5 of ``values`` (METHODS.md §12): score = ceil(5 × rank / n).

    ``higher_is_better``: rank ascending (frequency, monetary), so the largest value scores
    5; otherwise rank descending (recency days), so the smallest scores 5. Ties are broken
    by position (stable sort): of equal values the earlier one gets the lower rank.
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    if not np.isfinite(v).all():
        raise DataError("RFM: a value to rank is blank or not a number")
    key = v if higher_is_better else -v
    if key.min() >= -32768 and key.max() <= 32767 and (key == np.floor(key)).all():
        key = key.astype(np.int16)    # days and purchase counts: numpy's stable sort is then a radix sort
    order = np.argsort(key, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1, dtype=np.int64)
    return ((5 * rank + n - 1) // n).astype(np.int8)   # ceil(5·rank/n) in integers


def segment_codes(r, f, m) -> np.ndarray:
    """Index into :data:`SEGMENT_NAMES` of each customer's segment (first box that holds it)."""
    r, f, m = (np.asarray(x, dtype=np.int8) for x in (r, f, m))
    code = np.full(len(r), len(SEGMENTS), dtype=np.int8)      # Others
    free = np.ones(len(r), dtype=bool)
    for k, (_name, (r0, r1), (f0, f1), (m0, m1)) in enumerate(SEGMENTS):
        inside = free & (r >= r0) & (r <= r1) & (f >= f0) & (f <= f1) & (m >= m0) & (m <= m1)
        code[inside] = k
        free &= ~inside
    return code


def segment_of(r: int, f: int, m: int) -> str:
    """The segment of one customer's scores."""
    return SEGMENT_NAMES[int(segment_codes([r], [f], [m])[0])]


@dataclass(frozen=True)
class ValueTier:
    """The top ``share`` of customers by monetary value and their share of total value."""

    share: float                 # the tier's share of customers asked for (0.2)
    customers: int               # ceil(share × n)
    value: float                 # their total monetary value
    total_value: float           # all customers' total
    value_share: float           # value / total_value (0–1; NaN when the total is not positive)
    threshold: float             # the smallest monetary value in the tier


@dataclass(frozen=True)
class SegmentSummary:
    name: str
    customers: int
    customer_share: float        # 0–1
    value: float
    value_share: float           # 0–1 (NaN when the total is not positive)


@dataclass
class RFMResult:
    """RFM scores of every customer, in input order.

    ``segment`` holds indexes into :data:`SEGMENT_NAMES`; :meth:`frame` gives a table with
    the names. ``top_value`` marks the value tier.
    """

    customer_id: np.ndarray          # text, as given (stripped)
    recency_days: np.ndarray         # float
    frequency: np.ndarray            # float
    monetary: np.ndarray             # float
    r: np.ndarray                    # int8 1–5
    f: np.ndarray
    m: np.ndarray
    segment: np.ndarray              # int8 index into SEGMENT_NAMES
    top_value: np.ndarray            # bool
    tier: ValueTier
    segments: list[SegmentSummary]   # in SEGMENT_NAMES order, empty segments included
    as_of: pd.Timestamp | None = None          # the day recency is counted from (transactions)
    window_start: pd.Timestamp | None = None   # first day of the window (transactions with a window)
    transactions_used: int | None = None
    transactions_outside: int | None = None    # before the window or after as_of
    refunds: int | None = None                 # negative amounts in the window (in monetary, not purchases)
    no_purchase: list[str] = field(default_factory=list)   # ids with only refunds in the window

    @property
    def n(self) -> int:
        return len(self.r)

    def segment_names(self) -> np.ndarray:
        return np.asarray(SEGMENT_NAMES, dtype=object)[self.segment]

    def tier_labels(self, top: str = "top 20 %", rest: str = "other 80 %") -> np.ndarray:
        """The value tier of each customer as text (for :func:`scores_by_segment`)."""
        return np.where(self.top_value, top, rest).astype(object)

    def rfm_code(self) -> np.ndarray:
        """'545'-style cell of each customer."""
        return (self.r.astype(np.int64) * 100 + self.f * 10 + self.m).astype(str)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({
            "customer_id": self.customer_id, "recency_days": self.recency_days, "frequency": self.frequency,
            "monetary": self.monetary, "R": self.r, "F": self.f, "M": self.m,
            "segment": pd.Categorical.from_codes(self.segment, SEGMENT_NAMES), "top_value": self.top_value})


def _ids(customer_id, what: str = "customer id") -> np.ndarray:
    raw = pd.Series(np.asarray(customer_id, dtype=object))
    ids = raw.astype(str).str.strip()
    blank = raw.isna().to_numpy() | (ids == "").to_numpy()
    if blank.any():
        first = np.flatnonzero(blank)[:5] + 1
        raise DataError(f"RFM: {int(blank.sum())} blank {what}{'s' if blank.sum() != 1 else ''} "
                        f"(position{'s' if len(first) != 1 else ''} {', '.join(map(str, first))})")
    return ids.to_numpy(dtype=object)


def duplicate_ids_message(ids: np.ndarray, rows=None, what: str = "customer id") -> str | None:
    """A one-line message naming the repeated ids and their rows, or None."""
    if pd.Index(ids).is_unique:
        return None
    s = pd.Series(ids)
    dup = s.duplicated(keep=False).to_numpy()
    rows = np.arange(1, len(s) + 1) if rows is None else np.asarray(rows)
    where = pd.Series(rows[dup]).groupby(s[dup].to_numpy(), sort=False).apply(list)
    shown = "; ".join(f"'{k}' on rows {', '.join(map(str, v[:5]))}{', …' if len(v) > 5 else ''}"
                      for k, v in list(where.items())[:3])
    more = f" and {len(where) - 3} more" if len(where) > 3 else ""
    return f"{len(where):,} {what}{'s' if len(where) != 1 else ''} appear more than once: {shown}{more}"


def _summaries(segment: np.ndarray, monetary: np.ndarray) -> list[SegmentSummary]:
    n = len(segment)
    counts = np.bincount(segment, minlength=len(SEGMENT_NAMES))
    values = np.bincount(segment, weights=monetary, minlength=len(SEGMENT_NAMES))
    total = float(monetary.sum())
    return [SegmentSummary(name, int(counts[k]), counts[k] / n if n else math.nan, float(values[k]),
                           float(values[k]) / total if total > 0 else math.nan)
            for k, name in enumerate(SEGMENT_NAMES)]


def _tier(m_rank_order: np.ndarray, monetary: np.ndarray, share: float) -> tuple[np.ndarray, ValueTier]:
    n = len(monetary)
    k = math.ceil(share * n - 1e-9) if n else 0
    top = np.zeros(n, dtype=bool)
    if k:
        top[m_rank_order[n - k:]] = True
    value = float(monetary[top].sum())
    total = float(monetary.sum())
    threshold = float(monetary[top].min()) if k else math.nan
    return top, ValueTier(share, k, value, total, value / total if total > 0 else math.nan, threshold)


def rfm_from_fields(customer_id, recency_days, frequency, monetary, *, top_share: float = TOP_SHARE,
                    checked_ids: bool = False) -> RFMResult:
    """RFM scores from per-customer fields (one entry per customer, in file order).

    Raises :class:`DataError` for a blank or repeated id, a blank or non-numeric value, a
    negative recency or frequency. Monetary may be negative (net of refunds).
    ``checked_ids``: the ids are already stripped text, none blank and none repeated (the
    customer file's loader checked them), so they are used as given instead of checked again.
    """
    if checked_ids:
        ids = np.asarray(customer_id, dtype=object)
    else:
        ids = _ids(customer_id)
    if len(ids) == 0:
        raise DataError("RFM: no customers")
    message = None if checked_ids else duplicate_ids_message(ids)
    if message:
        raise DataError(f"RFM: {message}")
    fields = {}
    for name, values in (("recency (days)", recency_days), ("frequency", frequency), ("monetary", monetary)):
        v = np.asarray(values, dtype=float)
        if len(v) != len(ids):
            raise DataError(f"RFM: {name} has {len(v):,} values for {len(ids):,} customers")
        bad = ~np.isfinite(v)
        if name != "monetary":
            bad |= v < 0
        if bad.any():
            first = np.flatnonzero(bad)[:5]
            shown = ", ".join(f"'{ids[i]}'" for i in first)
            raise DataError(f"RFM: {name} is blank, negative or not a number for {int(bad.sum()):,} "
                            f"customer{'s' if bad.sum() != 1 else ''} ({shown}{', …' if bad.sum() > 5 else ''})")
        fields[name] = v
    rec, freq, mon = fields["recency (days)"], fields["frequency"], fields["monetary"]
    return _score(ids, rec, freq, mon, top_share)


def _score(ids, rec, freq, mon, top_share, **extra) -> RFMResult:
    if not 0 < top_share < 1:
        raise DataError(f"RFM: the value tier's share must be between 0 and 1, not {top_share}")
    r = quintile_scores(rec, higher_is_better=False)
    f = quintile_scores(freq)
    m_order = np.argsort(mon, kind="stable")
    n = len(mon)
    m_rank = np.empty(n, dtype=np.int64)
    m_rank[m_order] = np.arange(1, n + 1)
    m = ((5 * m_rank + n - 1) // max(n, 1)).astype(np.int8)
    seg = segment_codes(r, f, m)
    top, tier = _tier(m_order, mon, top_share)
    return RFMResult(ids, rec, freq, mon, r, f, m, seg, top, tier, _summaries(seg, mon), **extra)


def rfm_from_transactions(customer_id, date, amount, *, as_of=None, window_days: int | None = None,
                          top_share: float = TOP_SHARE, customer_ids=None) -> RFMResult:
    """RFM scores from transactions (one entry per purchase: customer id, date, amount).

    - ``as_of`` (a date; default the latest transaction's day) is the day recency is counted
      from; recency = whole days from a customer's last purchase to ``as_of``.
    - ``window_days``: only transactions on the ``window_days`` days ending with ``as_of``
      count (``as_of − window_days < day ≤ as_of``); None = every transaction up to ``as_of``.
      Transactions outside are counted in ``transactions_outside``, never silently used.
    - A purchase is a transaction with amount ≥ 0; a negative amount (a refund) reduces the
      customer's monetary value but is not a purchase and does not make the customer recent.
      Customers with only refunds in the window get no score (listed in ``no_purchase``).
    - Customers come in the order of their first transaction in the window (the tie order).

    ``date`` is anything numpy reads as ``datetime64`` (NaT is an error, as are a blank id and
    a non-numeric amount: the loader excludes and reports such rows first).

    ``customer_ids``: the customers already numbered (the customer file's loader numbers them
    once): ``customer_id`` then holds each transaction's customer as its position in
    ``customer_ids``, and the result is that of the ids ``customer_ids[customer_id]``, found
    several times faster (numbers are grouped, not the id texts again).
    """
    if customer_ids is None:
        ids_raw = np.asarray(customer_id)
        if ids_raw.dtype.kind not in "iu":               # integer customer numbers hash fastest
            ids_raw = ids_raw.astype(object)
    else:
        ids_raw = np.asarray(customer_id, dtype=np.int64)
    days = np.asarray(date, dtype="datetime64[D]")
    amt = np.asarray(amount, dtype=float)
    if not (len(ids_raw) == len(days) == len(amt)):
        raise DataError("RFM: the transaction id, date and amount columns differ in length")
    if len(amt) == 0:
        raise DataError("RFM: no transactions")
    if np.isnat(days).any():
        raise DataError(f"RFM: {int(np.isnat(days).sum()):,} transactions without a date")
    if not np.isfinite(amt).all():
        raise DataError(f"RFM: {int((~np.isfinite(amt)).sum()):,} transactions without a numeric amount")
    # The window first: only the transactions in it are grouped (the ids are the costly part).
    day = days.view(np.int64)
    end = int(day.max()) if as_of is None else int(np.datetime64(pd.Timestamp(as_of).date(), "D").view(np.int64))
    inside = day <= end
    if window_days is not None:
        if window_days <= 0:
            raise DataError(f"RFM: the window must be at least one day, not {window_days}")
        inside &= day > end - int(window_days)
    outside = int((~inside).sum())
    if not inside.any():
        raise DataError("RFM: no transactions in the window")
    if outside:
        ids_raw, day, amt = ids_raw[inside], day[inside], amt[inside]
    codes, uniques = pd.factorize(ids_raw, sort=False)
    if customer_ids is not None:                         # the customers' positions → their ids
        uniques = np.asarray(customer_ids, dtype=object)[uniques]
    names = pd.Index(uniques).astype(str)
    stripped = names.str.strip()
    if (codes < 0).any() or (stripped == "").any():
        raise DataError("RFM: transactions with a blank customer id")
    if (stripped != names).any():      # " C1" and "C1": the same customer
        canonical, names = pd.factorize(stripped, sort=False)
        codes = canonical[codes]
        names = pd.Index(names)
    k = len(names)
    purchase = amt >= 0
    freq = np.bincount(codes, weights=purchase, minlength=k)
    mon = np.bincount(codes, weights=amt, minlength=k)
    last = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, codes[purchase], day[purchase])
    scored = freq > 0                                    # every customer here has a transaction in the window
    ids = names.to_numpy(dtype=object)
    no_purchase = ids[~scored].tolist()
    if not scored.any():
        raise DataError("RFM: no purchases in the window (only refunds)")
    rec = (end - last[scored]).astype(float)
    return _score(ids[scored], rec, freq[scored], mon[scored], top_share,
                  as_of=pd.Timestamp(np.datetime64(end, "D")),
                  window_start=(pd.Timestamp(np.datetime64(end - int(window_days) + 1, "D"))
                                if window_days is not None else None),
                  transactions_used=int(inside.sum()), transactions_outside=outside,
                  refunds=int((~purchase).sum()), no_purchase=no_purchase)


# --------------------------------------------------------------------------- the join


@dataclass
class CustomerJoin:
    """Respondents matched to customer records on the respondent id.

    ``position[i]`` is the customer index of respondent ``i`` (−1 without a record).
    Unmatched respondents stay in every count: nothing is dropped silently.
    """

    position: np.ndarray
    respondents: int
    matched: int                      # respondents with a customer record
    unmatched: int                    # respondents without one (blank ids included)
    blank_ids: int                    # respondents whose id is blank
    customers: int
    customers_surveyed: int           # customers with at least one respondent
    customers_not_surveyed: int
    unmatched_examples: list[str] = field(default_factory=list)   # first unmatched ids

    @property
    def matched_mask(self) -> np.ndarray:
        return self.position >= 0

    @property
    def match_rate(self) -> float:
        return self.matched / self.respondents if self.respondents else math.nan

    def take(self, values, missing=None) -> np.ndarray:
        """Customer ``values`` spread to respondents (``missing`` where unmatched)."""
        v = np.asarray(values)
        out = np.empty(len(self.position), dtype=object if missing is None or v.dtype == object else v.dtype)
        out[:] = missing
        ok = self.position >= 0
        out[ok] = v[self.position[ok]]
        return out


def join_customers(respondent_ids, customer_ids, customer_rows=None, *, examples: int = 5,
                   checked_ids: bool = False) -> CustomerJoin:
    """Match respondents to customers by id (text, surrounding spaces ignored).

    A customer id on more than one row is an error naming the ids and rows
    (``customer_rows``: the file's row numbers; default 1, 2, …). A blank respondent id
    matches nothing and counts as unmatched. ``checked_ids``: the customer ids are already
    stripped text and none is repeated (the customer file's loader checked them).
    """
    if checked_ids:
        cust = pd.Series(np.asarray(customer_ids, dtype=object), dtype=object)
    else:
        cust = pd.Series(np.asarray(customer_ids, dtype=object)).astype(str).str.strip()
        message = duplicate_ids_message(cust.to_numpy(dtype=object), customer_rows)
        if message:
            raise DataError(f"customer file: {message}")
    resp_raw = pd.Series(np.asarray(respondent_ids, dtype=object))
    resp = resp_raw.astype(str).str.strip()
    blank = (resp == "") | resp_raw.isna()
    index = pd.Index(cust.to_numpy(dtype=object))
    position = index.get_indexer(resp.to_numpy(dtype=object)).astype(np.int64)
    position[blank.to_numpy()] = -1
    ok = position >= 0
    surveyed = int(len(np.unique(position[ok])))
    missed = resp[~ok & ~blank.to_numpy()]
    return CustomerJoin(position, len(resp), int(ok.sum()), int((~ok).sum()), int(blank.sum()), len(cust),
                        surveyed, len(cust) - surveyed, list(dict.fromkeys(missed.tolist()))[:examples])


# --------------------------------------------------------------------------- NPS / CSAT by group


def _weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=float)
    if len(w) != n:
        raise DataError(f"weights: {len(w):,} values for {n:,} respondents")
    return w


def _groups(segment, n: int, order: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """(code per respondent, −1 = no group (None, NaN or blank); the group names in natural
    order, or those of ``order`` first in its order)."""
    from cxreport.validate import natural_key

    s = pd.Series(np.asarray(segment, dtype=object))
    if len(s) != n:
        raise DataError(f"segment: {len(s):,} values for {n:,} respondents")
    raw_codes, uniques = pd.factorize(s, use_na_sentinel=True)
    texts = [str(u).strip() for u in uniques]
    names = sorted({t for t in texts if t}, key=natural_key)
    if order:
        rank = {g: i for i, g in enumerate(order)}
        natural = {g: i for i, g in enumerate(names)}
        names = sorted(names, key=lambda g: (rank.get(g, len(rank)), natural[g]))
    lookup = {g: i for i, g in enumerate(names)}
    table = np.array([lookup.get(t, -1) for t in texts] + [-1], dtype=np.int64)
    return table[raw_codes], names


@dataclass(frozen=True)
class Proportion:
    """A weighted share with its Wilson interval (effective n)."""

    share: float                 # 0–1 (NaN when the base is empty)
    low: float
    high: float
    n: int                       # unweighted base
    n_eff: float
    count: int                   # unweighted count in the share
    base: str                    # ok, small or suppressed (BaseRules)


def proportion(hit: np.ndarray, valid: np.ndarray, w: np.ndarray, rules: BaseRules = BaseRules()) -> Proportion:
    n = int(valid.sum())
    sw = float(w[valid].sum())
    n_eff = stats.kish_neff(w[valid]) if n else 0.0
    share = min(float(w[valid & hit].sum()) / sw, 1.0) if sw > 0 else math.nan
    low, high = stats.wilson(share, n_eff) if sw > 0 else (math.nan, math.nan)
    return Proportion(share, low, high, n, n_eff, int((valid & hit).sum()), rules.classify(n))


@dataclass(frozen=True)
class NPSFigure:
    nps: float                   # points
    se: float
    low: float                   # Wald, cut at ±100
    high: float
    n: int
    n_eff: float
    promoters: float             # weighted shares 0–1
    detractors: float
    base: str


def nps_figure(score: np.ndarray, valid: np.ndarray, w: np.ndarray, rules: BaseRules = BaseRules()) -> NPSFigure:
    n = int(valid.sum())
    sw = float(w[valid].sum())
    if sw <= 0:
        return NPSFigure(math.nan, math.nan, math.nan, math.nan, n, 0.0, math.nan, math.nan, rules.classify(n))
    p = min(float(w[valid & (score >= 9)].sum()) / sw, 1.0)
    d = min(float(w[valid & (score <= 6)].sum()) / sw, 1.0)
    n_eff = stats.kish_neff(w[valid])
    value, se, low, high = stats.nps_wald(p, d, n_eff)
    return NPSFigure(value, se, low, high, n, n_eff, p, d, rules.classify(n))


@dataclass(frozen=True)
class GroupScores:
    group: str
    respondents: int
    nps: NPSFigure | None
    csat: Proportion | None                     # top-2-box share
    nps_test: stats.TestResult | None = None    # against the rest of the matched respondents
    csat_test: stats.TestResult | None = None
    nps_p_adjusted: float = math.nan            # adjusted together across the groups (METHODS.md §8)
    csat_p_adjusted: float = math.nan


@dataclass
class ScoresBySegment:
    groups: list[GroupScores]
    unmatched: GroupScores | None               # respondents without a group (no customer record)
    adjustment: str


def _valid_nps(nps, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    if nps is None:
        return None
    v = np.asarray(nps, dtype=float)
    if len(v) != n:
        raise DataError(f"NPS: {len(v):,} values for {n:,} respondents")
    ok = np.isfinite(v)
    if ((v[ok] < 0) | (v[ok] > 10)).any():
        raise DataError("NPS: answers must be 0–10 (invalid answers are removed before scoring)")
    return v, ok


def _top2(csat, n: int, scale: tuple[int, int]) -> tuple[np.ndarray, np.ndarray] | None:
    if csat is None:
        return None
    v = np.asarray(csat, dtype=float)
    if len(v) != n:
        raise DataError(f"CSAT: {len(v):,} values for {n:,} respondents")
    low, high = scale
    if high - low < 2:
        raise DataError(f"CSAT: the scale {low}–{high} has no top two boxes")
    ok = np.isfinite(v)
    if ((v[ok] < low) | (v[ok] > high)).any():
        raise DataError(f"CSAT: answers must be {low}–{high} (invalid answers are removed before scoring)")
    return v >= high - 1, ok


def scores_by_segment(segment, *, nps=None, csat=None, weights=None, csat_scale: tuple[int, int] = (1, 5),
                      rules: BaseRules = BaseRules(), adjustment: str = "bh",
                      order: list[str] | None = None) -> ScoresBySegment:
    """NPS (Wald) and CSAT top-2 (Wilson) of each group of ``segment`` (an RFM segment or
    value tier spread to respondents; None or "" = no customer record).

    Each group is tested against the rest of the respondents that have a group (the
    complement test of METHODS.md §2): NPS by the difference z-test, CSAT by the pooled
    two-proportion z-test, on effective bases; no test when either base is suppressed.
    The p-values of one table are adjusted together (``adjustment``: bh, bonferroni, none).
    Respondents without a group are scored as ``unmatched``, never dropped.
    """
    n = len(np.asarray(segment, dtype=object))
    w = _weights(weights, n)
    codes, names = _groups(segment, n, order)
    nv = _valid_nps(nps, n)
    cv = _top2(csat, n, csat_scale)
    if nv is None and cv is None:
        raise DataError("scores by segment: neither NPS nor CSAT answers given")
    grouped = codes >= 0

    def score(member: np.ndarray, name: str) -> GroupScores:
        nf = nps_figure(nv[0], nv[1] & member, w, rules) if nv else None
        cf = proportion(cv[0], cv[1] & member, w, rules) if cv else None
        return GroupScores(name, int(member.sum()), nf, cf)

    rows = []
    for k, name in enumerate(names):
        member = codes == k
        g = score(member, name)
        rest = grouped & ~member
        nt = ct = None
        if nv:
            a, b = g.nps, nps_figure(nv[0], nv[1] & rest, w, rules)
            if a.base != "suppressed" and b.base != "suppressed":
                nt = stats.diff_test_se(a.nps, a.se, b.nps, b.se)
        if cv:
            a, b = g.csat, proportion(cv[0], cv[1] & rest, w, rules)
            if a.base != "suppressed" and b.base != "suppressed":
                ct = stats.two_proportion_ztest(a.share * a.n_eff, a.n_eff, b.share * b.n_eff, b.n_eff)
        rows.append(GroupScores(name, g.respondents, g.nps, g.csat, nt, ct))
    for attr in ("nps", "csat"):
        p = [getattr(r, f"{attr}_test").p_value if getattr(r, f"{attr}_test") else math.nan for r in rows]
        adjusted = stats.adjust_pvalues(p, adjustment)
        rows = [GroupScores(**{**r.__dict__, f"{attr}_p_adjusted": float(a)}) for r, a in zip(rows, adjusted)]
    unmatched = score(~grouped, "unmatched") if (~grouped).any() else None
    return ScoresBySegment(rows, unmatched, adjustment)


# --------------------------------------------------------------------------- satisfied but not loyal


@dataclass(frozen=True)
class SBNLGroup:
    group: str
    of_all: Proportion           # satisfied-but-not-loyal ÷ respondents answering both items
    of_satisfied: Proportion     # satisfied-but-not-loyal ÷ satisfied respondents


@dataclass(frozen=True)
class SBNLTheme:
    theme: str
    sbnl: Proportion             # share of satisfied-but-not-loyal commenters mentioning it
    loyal: Proportion            # share of satisfied promoters (commenting) mentioning it
    test: stats.TestResult | None


@dataclass
class SatisfiedNotLoyal:
    """Customers satisfied on CSAT (top-2 box) who are not NPS promoters (0–8)."""

    overall: SBNLGroup
    groups: list[SBNLGroup]
    unassigned: SBNLGroup | None     # respondents without a group (e.g. no customer record)
    themes: list[SBNLTheme]          # largest gap first


def satisfied_not_loyal(csat, nps, *, segment=None, weights=None, csat_scale: tuple[int, int] = (1, 5),
                        themes: dict[str, np.ndarray] | None = None, commented=None,
                        rules: BaseRules = BaseRules()) -> SatisfiedNotLoyal:
    """Share of satisfied-but-not-loyal respondents, overall and by ``segment`` (a value
    segment, a touchpoint…), with Wilson intervals on effective bases.

    Base: respondents with a valid answer to both CSAT and NPS. Two shares are given: of
    that base, and of the satisfied only (what share of satisfied customers would not
    recommend). ``themes`` (theme → bool per respondent: does the comment mention it) with
    ``commented`` (bool per respondent: left a comment) give the themes behind it: each
    theme's share among satisfied-but-not-loyal commenters against satisfied promoters who
    commented, with the pooled two-proportion z-test (no test on a suppressed base).
    """
    if csat is None or nps is None:
        raise DataError("satisfied but not loyal: needs both CSAT and NPS answers")
    c = np.asarray(csat, dtype=float)
    n = len(c)
    w = _weights(weights, n)
    top, c_ok = _top2(c, n, csat_scale)
    score, n_ok = _valid_nps(nps, n)
    both = c_ok & n_ok
    sbnl = top & (score < 9)
    satisfied = top

    def group(member: np.ndarray, name: str) -> SBNLGroup:
        valid = both & member
        return SBNLGroup(name, proportion(sbnl, valid, w, rules), proportion(sbnl, valid & satisfied, w, rules))

    overall = group(np.ones(n, dtype=bool), "all")
    groups, unassigned = [], None
    if segment is not None:
        codes, names = _groups(segment, n)
        groups = [group(codes == k, name) for k, name in enumerate(names)]
        if (codes < 0).any():
            unassigned = group(codes < 0, "unassigned")
    rows = []
    if themes:
        if commented is None:
            raise DataError("satisfied but not loyal: themes need the mask of respondents who commented")
        said = np.asarray(commented, dtype=bool)
        a_base = both & sbnl & said
        b_base = both & satisfied & (score >= 9) & said
        for theme, mask in themes.items():
            hit = np.asarray(mask, dtype=bool)
            if len(hit) != n:
                raise DataError(f"theme '{theme}': {len(hit):,} values for {n:,} respondents")
            a, b = proportion(hit, a_base, w, rules), proportion(hit, b_base, w, rules)
            test = None
            if a.base != "suppressed" and b.base != "suppressed":
                test = stats.two_proportion_ztest(a.share * a.n_eff, a.n_eff, b.share * b.n_eff, b.n_eff)
            rows.append(SBNLTheme(theme, a, b, test))
        rows.sort(key=lambda t: (-(t.sbnl.share - t.loyal.share) if math.isfinite(t.sbnl.share - t.loyal.share)
                                 else math.inf, t.theme))
    return SatisfiedNotLoyal(overall, groups, unassigned, rows)


# --------------------------------------------------------------------------- churn by NPS group

NPS_GROUPS = ("promoter", "passive", "detractor")


@dataclass(frozen=True)
class ChurnGroup:
    group: str                   # promoter, passive, detractor
    rate: Proportion             # churned share with its Wilson interval
    vs_promoters: stats.TestResult | None    # two-proportion z-test against promoters


@dataclass
class ChurnByNPS:
    groups: list[ChurnGroup]
    chi2: float                  # Pearson chi-square of churn × NPS group (no continuity correction)
    dof: int
    p_value: float
    n: int                       # respondents with an NPS answer and a known churn flag
    unknown_churn: int           # respondents with an NPS answer but no churn flag (not a match)
    no_nps: int                  # respondents with a churn flag but no NPS answer


def parse_flag(values) -> np.ndarray:
    """A churned flag as floats: 1 churned, 0 not, NaN unknown. Accepts bools, 0/1 and the
    words yes/no, true/false, y/n, churned/active, 是/否 (any case); anything else is an error."""
    words = {"1": 1.0, "0": 0.0, "yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0, "y": 1.0, "n": 0.0,
             "churned": 1.0, "active": 0.0, "是": 1.0, "否": 0.0, "1.0": 1.0, "0.0": 0.0}
    s = pd.Series(np.asarray(values, dtype=object))
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    out = []
    for u in uniques:
        t = str(u).strip().lower()
        if t in ("", "nan", "none"):
            out.append(math.nan)
        elif t in words:
            out.append(words[t])
        else:
            raise DataError(f"churned flag: '{str(u)[:30]}' is not one of yes/no, 1/0, true/false, y/n, churned/active, 是/否")
    return np.append(np.array(out, dtype=float), math.nan)[codes]


def _chi2_independence(table: np.ndarray) -> tuple[float, float, int]:
    """Pearson's chi-square test of independence of a two-way table (no continuity correction):
    (statistic, p-value, degrees of freedom), the figures and the very bits of
    ``scipy.stats.chi2_contingency(table, correction=False)``, computed as it does (expected
    counts from the margins, the terms summed over the flattened table, the p-value from
    ``scipy.special.chdtrc``) without importing ``scipy.stats`` (about half a second of a build).
    Raises ValueError where scipy does (a negative count, an empty table, an expected count of 0).
    tests/test_step_speed_equivalence.py compares the two."""
    from scipy import special

    observed = np.asarray(table, dtype=np.float64)
    if np.any(observed < 0):
        raise ValueError("All values in `observed` must be nonnegative.")
    if observed.size == 0:
        raise ValueError("No data; `observed` has size 0.")
    d = observed.ndim
    margins = [np.apply_over_axes(np.sum, observed, [j for j in range(d) if j != k]) for k in range(d)]
    expected = margins[0]
    for margin in margins[1:]:
        expected = np.multiply(expected, margin)
    expected = expected / observed.sum() ** (d - 1)
    if np.any(expected == 0):
        raise ValueError("The internally computed table of expected frequencies has a zero element.")
    dof = expected.size - sum(expected.shape) + expected.ndim - 1
    if dof == 0:
        return 0.0, 1.0, 0
    rtol = np.finfo(np.float64).eps ** 0.5
    with np.errstate(invalid="ignore"):
        f_obs_sum, f_exp_sum = observed.sum(), expected.sum()
        if np.abs(f_obs_sum - f_exp_sum) / np.minimum(f_obs_sum, f_exp_sum) > rtol:
            raise ValueError("the sums of the observed and expected frequencies differ")
    terms = ((observed - expected) ** 2 / expected).ravel()
    statistic = np.sum(terms, axis=-1)
    p = special.chdtrc(np.asarray(terms.size - 1 - (observed.size - 1 - dof), dtype=np.float64), statistic)
    return float(statistic), float(p), int(dof)


def churn_by_nps_group(nps, churned, *, weights=None, rules: BaseRules = BaseRules()) -> ChurnByNPS:
    """Churn rate of promoters, passives and detractors with Wilson intervals, each group
    tested against promoters (pooled two-proportion z-test), and a chi-square test of
    independence over the 3 × 2 table.

    ``churned``: 1/0/NaN (see :func:`parse_flag`); NaN (no record, no flag) is left out and
    counted. Weighted: rates are weighted; the z-tests use effective bases and the
    chi-square the weighted counts rescaled to each group's effective base.
    """
    if nps is None or churned is None:
        raise DataError("churn by NPS group: needs NPS answers and a churned flag")
    churn = np.asarray(churned, dtype=float)
    n = len(churn)
    w = _weights(weights, n)
    score, n_ok = _valid_nps(nps, n)
    known = np.isfinite(churn)
    if ((churn[known] != 0) & (churn[known] != 1)).any():
        raise DataError("churned flag: values must be 1 (churned) or 0")
    valid = n_ok & known
    hit = churn == 1
    masks = {"promoter": score >= 9, "passive": (score >= 7) & (score < 9), "detractor": score <= 6}
    rates = {g: proportion(hit, valid & m, w, rules) for g, m in masks.items()}
    promoters = rates["promoter"]
    groups = []
    for g in NPS_GROUPS:
        r = rates[g]
        test = None
        if g != "promoter" and r.base != "suppressed" and promoters.base != "suppressed":
            test = stats.two_proportion_ztest(r.share * r.n_eff, r.n_eff, promoters.share * promoters.n_eff,
                                              promoters.n_eff)
        groups.append(ChurnGroup(g, r, test))
    table = np.array([[r.share * r.n_eff, (1 - r.share) * r.n_eff] for r in rates.values() if r.n_eff > 0])
    chi2, dof, p = math.nan, 0, math.nan
    if len(table) >= 2 and (table.sum(axis=0) > 0).all():
        chi2, p, dof = _chi2_independence(table)
    return ChurnByNPS(groups, chi2, dof, p, int(valid.sum()), int((n_ok & ~known).sum()), int((known & ~n_ok).sum()))


# --------------------------------------------------------------------------- the study step

#: The value tier's two groups (the presentation names them "top 20 %" / "other 80 %").
TOP, REST = "top", "rest"


@dataclass(frozen=True)
class Tenure:
    """Tenure (the file's own unit, e.g. years) of the customers that have one."""

    column: str
    customers: int               # customers of the file with a tenure
    mean: float
    median: float
    top_mean: float              # customers of the value tier (NaN when none has a tenure)
    rest_mean: float


@dataclass
class CustomerValue:
    """The customer file joined to the window's respondents (``customers:`` in the project).

    RFM scores, segments and the value tier describe every customer of the file (the
    customer base); scores by value, satisfied-but-not-loyal and churn describe the window's
    respondents matched to a customer. ``respondent_segment`` and ``respondent_tier`` hold,
    per respondent of the window, the RFM segment name and the tier (``TOP``/``REST``), None
    without a customer record or without RFM scores (a transactions customer with no purchase
    in the RFM window).
    """

    file: str                                 # project-relative path of the customer file
    layout: str                               # customers or transactions
    period: str                               # the window's label
    rows_read: int
    customers: int                            # customers in the file (distinct ids)
    rfm: RFMResult
    join: CustomerJoin                        # respondents ↔ customers of the file
    not_scored: int                           # matched respondents whose customer has no RFM scores
    respondent_segment: np.ndarray
    respondent_tier: np.ndarray
    by_segment: ScoresBySegment               # NPS/CSAT by RFM segment (unmatched apart)
    by_tier: ScoresBySegment                  # top ``top_share`` vs the rest
    by_client_tier: ScoresBySegment | None    # by the file's own value tier column
    snl: SatisfiedNotLoyal | None             # by RFM segment, with the themes behind it
    snl_tier: SatisfiedNotLoyal | None
    snl_touchpoint: SatisfiedNotLoyal | None
    touchpoint: str | None                    # the segment snl_touchpoint is by
    churn: ChurnByNPS | None
    tenure: Tenure | None
    excluded: dict[str, int] = field(default_factory=dict)    # transaction rows left out, by reason
    warnings: list[str] = field(default_factory=list)         # printed by validate, score and build
    alpha: float = 0.05
    adjustment: str = "bh"
    csat_scale: tuple[int, int] | None = None
    has_nps: bool = True
    themes_base: str | None = None            # the comments' scope label when themes are given
    #: p-values adjusted together (METHODS.md §8): the themes behind satisfied-but-not-loyal
    #: (aligned with ``snl.themes``) and churn of passives and detractors against promoters.
    theme_p_adjusted: list[float] = field(default_factory=list)
    churn_p_adjusted: dict[str, float] = field(default_factory=dict)
    #: Satisfied-but-not-loyal share of the value tier minus the other customers' (pooled
    #: two-proportion z-test on effective bases; None when either base is suppressed).
    snl_tier_test: stats.TestResult | None = None

    def marked(self, p_adjusted: float, test) -> int:
        """+1 / −1 when a group differs significantly from the rest (adjusted p ≤ α), else 0."""
        if test is None or not math.isfinite(p_adjusted) or p_adjusted > self.alpha or not test.diff:
            return 0
        return 1 if test.diff > 0 else -1


def _respondent_ids(study) -> np.ndarray:
    """The respondent id of each of the window's respondents (text, stripped)."""
    return study.data.comments["respondent_id"].to_numpy(dtype=object)


def _all_ids(study) -> np.ndarray:
    """The respondent ids of every response (all periods; a --per unit's: the unit's)."""
    return study.full.comments["respondent_id"].to_numpy(dtype=object)


def _segment_labels(study, name: str | None) -> np.ndarray | None:
    """Per respondent of the window: the group label of segment ``name`` (None when not stated)."""
    if not name:
        return None
    from cxreport.validate import NOT_STATED

    grouping = next((g for g in study.data.segments if g.name == name), None)
    if grouping is None:
        return None
    labels = np.asarray(list(grouping.labels) + [None], dtype=object)
    out = labels[np.asarray(grouping.codes)]
    out[out == NOT_STATED] = None
    return out


def _theme_flags(study) -> tuple[dict[str, np.ndarray] | None, np.ndarray | None]:
    """Per respondent of the window: does their comment mention each theme; did they comment.
    Matched on the file row, so comments analysed on a pooled run still line up."""
    voice = study.voice
    if voice is None or not voice.coded or not len(voice.rows):
        return None, None
    rows = study.data.comments["row"].to_numpy(dtype=np.int64)
    commented = np.isin(rows, voice.rows)
    flags = {theme: np.isin(rows, voice.rows[np.asarray(found, dtype=bool)]) for theme, found in voice.coded.items()}
    return flags, commented


def study_value(study) -> CustomerValue | None:
    """The study's customer value (``customers:`` in the project), or None without one.

    Errors a project can cause name the file (project-relative), its row and column, or the
    config key: a mapped column not in the file, a bad cell (from the loader), a
    transactions file with no purchase in the RFM window, and a customer file that matches
    no respondent of the survey at all (then the join is certainly wrong: the respondent id
    and customer id columns hold different ids). Respondents of the window without a match
    are counted, reported as a warning and shown apart, never dropped.
    """
    project = study.project
    cfg = project.customers
    if cfg is None:
        return None
    from cxreport.config.paths import display_path
    from cxreport.config.schema import adjust_method
    from cxreport.load.customers import load_customers_cached

    name = display_path(cfg.file, project.base_dir)
    cf = load_customers_cached(project)
    items = {s.key: s for s in study.data.items}
    nps_spec, csat_spec = items.get("nps"), items.get("csat")
    if csat_spec is not None and csat_spec.high - csat_spec.low < 2:
        csat_spec = None                      # a scale without two top boxes has no satisfied share
    if nps_spec is None and csat_spec is None:
        raise DataError("customers: scores by customer value need columns.nps or columns.csat")
    try:
        rfm = cf.rfm(as_of=cfg.as_of, window_days=cfg.window_days, top_share=cfg.top_share)
    except DataError as exc:
        hint = " (customers.as_of and customers.window_days)" if cfg.layout == "transactions" else ""
        raise DataError(f"{name}: {exc}{hint}") from None

    # The join: every customer of the file, then its RFM scores where it has them.
    ids = _respondent_ids(study)
    checked = bool(getattr(cf, "ids_checked", False))
    join = join_customers(ids, cf.customers["customer_id"].to_numpy(dtype=object),
                          cf.customers["row"].to_numpy(), checked_ids=checked)
    if join.matched == 0:
        everyone = join_customers(_all_ids(study), cf.customers["customer_id"].to_numpy(dtype=object),
                                  cf.customers["row"].to_numpy(), checked_ids=checked)
        if everyone.matched == 0:
            example = next((str(i) for i in ids if str(i)), "")
            raise DataError(
                f"customers.columns.customer_id: no survey respondent matches a customer of {name} "
                f"(survey ids such as '{example[:20]}', customer ids such as "
                f"'{str(cf.customers['customer_id'].iloc[0])[:20]}'); check columns.respondent_id and "
                f"customers.columns.customer_id")
    scored_at = pd.Index(rfm.customer_id).get_indexer(cf.customers["customer_id"].to_numpy(dtype=object))
    resp_rfm = np.full(len(join.position), -1, dtype=np.int64)
    ok = join.position >= 0
    resp_rfm[ok] = scored_at[join.position[ok]]
    not_scored = int((ok & (resp_rfm < 0)).sum())
    names = np.asarray(SEGMENT_NAMES + (None,), dtype=object)
    has_rfm = resp_rfm >= 0
    segment = np.full(len(resp_rfm), None, dtype=object)
    segment[has_rfm] = names[rfm.segment[resp_rfm[has_rfm]]]
    tier = np.full(len(resp_rfm), None, dtype=object)
    tier[has_rfm] = np.where(rfm.top_value[resp_rfm[has_rfm]], TOP, REST)

    data = study.data
    rules = BaseRules(project.bases.suppress_below, project.bases.flag_below)
    alpha = project.significance.alpha
    adjustment = adjust_method(alpha)
    nps = data.values["nps"] if nps_spec is not None else None
    csat = data.values["csat"] if csat_spec is not None else None
    scale = (csat_spec.low, csat_spec.high) if csat_spec is not None else (1, 5)
    common = {"nps": nps, "csat": csat, "weights": data.weights, "csat_scale": scale, "rules": rules,
              "adjustment": adjustment}
    by_segment = scores_by_segment(segment, **common)
    by_tier = scores_by_segment(tier, **common)
    by_client = None
    if "value_tier" in cf.customers.columns:
        client = join.take(cf.customers["value_tier"].to_numpy(dtype=object))
        client[np.array([c is not None and not str(c).strip() for c in client], dtype=bool)] = None
        # The client's tiers in the order a segment of the same groups is given (columns.segment_order).
        tiers = {str(c).strip() for c in client if c is not None}
        order = next((list(o) for o in project.columns.segment_order.values() if tiers and tiers <= set(o)), None)
        by_client = scores_by_segment(client, order=order, **common)

    snl = snl_tier = snl_touch = None
    touch_name = cfg.touchpoint or (project.journey.touchpoint if project.journey is not None else None)
    themes_base = None
    if nps is not None and csat is not None:
        flags, commented = _theme_flags(study)
        if flags:
            themes_base = study.scope("comments").label
        both = {"weights": data.weights, "csat_scale": scale, "rules": rules}
        snl = satisfied_not_loyal(csat, nps, segment=segment, themes=flags, commented=commented, **both)
        snl_tier = satisfied_not_loyal(csat, nps, segment=tier, **both)
        touch = _segment_labels(study, touch_name)
        if touch is not None:
            snl_touch = satisfied_not_loyal(csat, nps, segment=touch, **both)
        else:
            touch_name = None
    else:
        touch_name = None
    churn = None
    if nps is not None and cf.has_churn:
        churned = join.take(cf.customers["churned"].to_numpy(dtype=float), missing=math.nan).astype(float)
        churn = churn_by_nps_group(nps, churned, weights=data.weights, rules=rules)
    tenure = None
    if "tenure" in cf.customers.columns:
        years = cf.customers["tenure"].to_numpy(dtype=float)
        top = np.zeros(len(years), dtype=bool)
        top[scored_at >= 0] = rfm.top_value[scored_at[scored_at >= 0]]
        rest = (scored_at >= 0) & ~top
        has = np.isfinite(years)
        if has.any():
            tenure = Tenure(cfg.columns.tenure, int(has.sum()), float(years[has].mean()), float(np.median(years[has])),
                            float(years[has & top].mean()) if (has & top).any() else math.nan,
                            float(years[has & rest].mean()) if (has & rest).any() else math.nan)

    warnings = list(cf.warnings())
    if join.unmatched:
        shown = ", ".join(f"'{i}'" for i in join.unmatched_examples)
        blank = f" ({join.blank_ids:,} with a blank id)" if join.blank_ids else ""
        warnings.append(f"{name}: {join.unmatched:,} of {join.respondents:,} respondents in {study.window.label} "
                        f"match no customer{blank}{': ' + shown if shown else ''}"
                        f"{', …' if join.unmatched - join.blank_ids > len(join.unmatched_examples) else ''}; "
                        "they are counted apart in the customer value section")
    if not_scored:
        warnings.append(f"{name}: {not_scored:,} matched respondents' customers have no purchase in the RFM window "
                        "(no RFM scores); they are counted apart")
    excluded = {k: len(v) for k, v in cf.excluded.items()}
    theme_p = []
    if snl is not None and snl.themes:
        theme_p = [float(x) for x in stats.adjust_pvalues(
            [t.test.p_value if t.test else math.nan for t in snl.themes], adjustment)]
    churn_p = {}
    if churn is not None:
        tested = [g for g in churn.groups if g.vs_promoters is not None]
        churn_p = {g.group: float(x) for g, x in zip(tested, stats.adjust_pvalues(
            [g.vs_promoters.p_value for g in tested], adjustment))}
    value = CustomerValue(name, cf.layout, study.window.label, cf.rows_read, len(cf.customers), rfm, join, not_scored,
                         segment, tier, by_segment, by_tier, by_client, snl, snl_tier, snl_touch, touch_name, churn,
                         tenure, excluded, warnings, float(alpha), adjustment,
                         scale if csat is not None else None, nps is not None, themes_base)
    value.theme_p_adjusted, value.churn_p_adjusted = theme_p, churn_p
    if snl_tier is not None:
        halves = {g.group: g.of_all for g in snl_tier.groups}
        a, b = halves.get(TOP), halves.get(REST)
        if a is not None and b is not None and "suppressed" not in (a.base, b.base):
            value.snl_tier_test = stats.two_proportion_ztest(a.share * a.n_eff, a.n_eff, b.share * b.n_eff, b.n_eff)
    return value
