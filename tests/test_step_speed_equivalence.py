"""The speed-ups of the scoring steps (issue 17, "Cut what is not PDF layout") change no result.

Each sped-up function is compared with the code it replaced, kept below verbatim as source text
(``OLD_*``) and run in a copy of its own module's namespace, so that it sees the helpers it saw:

- the bootstrap's resampled sums (``drivers._resampled_sums``, now on one BLAS thread: the matrix
  products are exact, so the thread count cannot change a bit), on the samples' driver analyses,
  on the airline passengers' ratings (pairwise and listwise) and on Quantipy's weighted ratings;
- the emerging phrases' flags (``voc._phrase_flags``: comments split once, phrases matched for all
  comments at once, the Chinese segmenter shared) and the shared segmenter itself, on the samples'
  comments with their suggested phrases, the 11,987 waimai reviews and the Sudzilla answers (read in
  place from ../shared/realdata) and on edge cases;
- churn by NPS group (``value.churn_by_nps_group``: its chi-square without ``scipy.stats``), the RFM
  of a transactions file from the loader's customer numbers (``rfm_from_transactions(customer_ids=…)``), the RFM
  and the join of a checked customer file, on both samples' customer files and on edge cases (ties,
  refunds only, one customer, a window with no transaction, ids with spaces);
- the response-time figures (``response.score_response_times``, each group's arrays taken from
  the log's columns read once), the competitor survey (``competitors._survey``), the standards
  library (parsed by libyaml's C parser) and the pinyin segmenter's state (``validate._add_phrases``);
- and, end to end, every result of both samples' studies with all the old functions put back.

The scores JSON of both samples (``cxreport score <project> -o <file>``, with and without
``--period all``) was also compared byte for byte before and after the change.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxreport import i18n
from cxreport.benchmark import competitors as K
from cxreport.benchmark import standards as S
from cxreport.config import load_project
from cxreport.errors import DataError
from cxreport.load import cases as CA
from cxreport.load import customers as CU
from cxreport.scoring import drivers as D
from cxreport.scoring import response as R
from cxreport.scoring import suggest as SG
from cxreport.scoring import value as V
from cxreport.scoring import voc

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"
SAMPLES = {"en": REPO / "samples" / "harbour-bank" / "cxreport.yaml",
           "zh": REPO / "samples" / "huayue-retail" / "cxreport.yaml"}


def _old(source: str, module) -> dict:
    """The old functions of ``source``, defined in a copy of ``module``'s namespace."""
    namespace = dict(vars(module))
    exec(compile(source, f"<old {module.__name__}>", "exec"), namespace)  # noqa: S102 - the test's own text
    return namespace


def canon(o, depth: int = 0):
    """A comparable form of a result: floats by their bits (repr), arrays by dtype and values."""
    if depth > 14:
        return "<deep>"
    if o is None or isinstance(o, (bool, int, str)):
        return o
    if isinstance(o, float):
        return repr(o)
    if isinstance(o, np.generic):
        return (type(o).__name__, canon(o.item(), depth + 1))
    if isinstance(o, np.ndarray):
        return ("ndarray", str(o.dtype), o.shape, [canon(x, depth + 1) for x in o.ravel().tolist()])
    if isinstance(o, pd.DataFrame):
        return ("frame", [str(c) for c in o.columns], canon(o.index.to_numpy(), depth + 1),
                [canon(o[c].to_numpy(), depth + 1) for c in o.columns])
    if isinstance(o, pd.Series):
        return ("series", canon(o.index.to_numpy(), depth + 1), canon(o.to_numpy(), depth + 1))
    if isinstance(o, pd.Index):
        return ("index", canon(o.to_numpy(), depth + 1))
    if isinstance(o, pd.Timestamp):
        return ("ts", str(o))
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return (type(o).__name__, [(f.name, canon(getattr(o, f.name), depth + 1)) for f in dataclasses.fields(o)
                                   if f.compare])
    if isinstance(o, dict):
        return ("dict", [(canon(k, depth + 1), canon(v, depth + 1)) for k, v in o.items()])
    if isinstance(o, (list, tuple)):
        return (type(o).__name__, [canon(x, depth + 1) for x in o])
    if isinstance(o, (set, frozenset)):
        return ("set", sorted(repr(canon(x, depth + 1)) for x in o))
    if hasattr(o, "__dict__"):
        return (type(o).__name__, [(k, canon(v, depth + 1)) for k, v in vars(o).items()])
    return (type(o).__name__, repr(o))


def same(a, b) -> bool:
    return canon(a) == canon(b)


# --------------------------------------------------------------------------- the bootstrap


def _bootstrap_both(monkeypatch, y, X, w, **options):
    def attempt():
        try:
            return D.bootstrap_replicates(y, X, w, **options)
        except D.DriverError as exc:
            return D.Replicates(np.array([str(exc)]), None, np.array([0.0]))

    new = attempt()
    with monkeypatch.context() as m:
        m.setattr(D, "_resampled_sums", _old(OLD_DRIVERS, D)["_resampled_sums"])
        before = attempt()
    return before, new


def _assert_same_replicates(a: D.Replicates, b: D.Replicates) -> None:
    for field in ("rw", "lmg", "r2"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None)
        if x is not None:
            assert x.dtype == y.dtype and x.shape == y.shape
            if x.dtype.kind == "f":
                assert np.array_equal(x.view(np.int64), y.view(np.int64)), field     # bit for bit, NaN included
            else:
                assert np.array_equal(x, y), field                                    # the same error


@pytest.fixture(scope="module")
def airline():
    path = REALDATA / "airline" / "test.csv"
    if not path.exists():
        pytest.fail(f"missing real data {path}")
    frame = pd.read_csv(path, nrows=6000)
    items = ["Inflight wifi service", "Ease of Online booking", "Food and drink", "Seat comfort",
             "Inflight entertainment", "On-board service", "Cleanliness"]
    values = frame[items].to_numpy(dtype=float)
    values[values == 0] = np.nan                    # 0 = not applicable
    return values[:, 1:], values[:, 0]


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_bootstrap_airline_ratings(monkeypatch, airline, missing):
    X, y = airline
    before, after = _bootstrap_both(monkeypatch, y, X, None, missing=missing, replicates=40, seed=7)
    _assert_same_replicates(before, after)
    assert after.used > 30


def test_bootstrap_quantipy_weighted(monkeypatch):
    path = REALDATA / "quantipy_example_a" / "example_data_a.csv"
    frame = pd.read_csv(path, usecols=["q5_1", "q5_2", "q5_3", "q5_4", "q5_5", "q5_6", "weight_a"])
    values = frame[["q5_1", "q5_2", "q5_3", "q5_4", "q5_5", "q5_6"]].to_numpy(dtype=float)
    values[values >= 96] = np.nan                   # the special codes 96–99
    w = frame["weight_a"].to_numpy(dtype=float)
    for missing in ("listwise", "pairwise"):
        before, after = _bootstrap_both(monkeypatch, values[:, 0], values[:, 1:], w, missing=missing, replicates=30)
        _assert_same_replicates(before, after)


def test_bootstrap_edges(monkeypatch):
    rng = np.random.default_rng(3)
    X = rng.integers(1, 6, (60, 3)).astype(float)
    y = X.sum(axis=1) + rng.integers(0, 3, 60)
    X[:5, 0] = np.nan
    X[:, 2] = X[:, 1]                                # two identical drivers: collinear replicates
    for missing in ("listwise", "pairwise"):
        before, after = _bootstrap_both(monkeypatch, y, X, rng.random(60) + 0.5, missing=missing, replicates=25)
        _assert_same_replicates(before, after)
    tiny = X[:3, :2].copy()
    before, after = _bootstrap_both(monkeypatch, y[:3], tiny, None, replicates=10)
    _assert_same_replicates(before, after)


def test_blas_threads_are_restored():
    controls = D._blas_controls()
    threads = [get() for _set, get in controls]
    with D._one_blas_thread():
        with D._one_blas_thread():
            assert all(get() == 1 for _set, get in controls)
        assert all(get() == 1 for _set, get in controls)
    assert [get() for _set, get in controls] == threads


# --------------------------------------------------------------------------- the studies' inputs


@pytest.fixture(scope="module")
def studies():
    """Both samples' studies (new code) with the inputs the old functions are given."""
    from cxreport.pipeline import run

    out = {}
    for lang, path in SAMPLES.items():
        project = load_project(path)
        with i18n.use_language(project.language):
            out[lang] = run(project)
    return out


def test_bootstrap_samples(monkeypatch, studies):
    for study in studies.values():
        report = study.drivers
        data = study.view.section_data("drivers", study.project)
        specs = [s for s in data.items if s.kind == "rating" and s.label in
                 {r.name for r in report.overall.rows}]
        X = np.column_stack([data.values[s.key] for s in specs])
        outcome = next(s for s in data.items if s.label == report.overall.outcome)
        before, after = _bootstrap_both(monkeypatch, data.values[outcome.key], X,
                                        data.weights if data.weighted else None,
                                        missing=study.project.drivers.missing, replicates=50)
        _assert_same_replicates(before, after)


# --------------------------------------------------------------------------- emerging phrases


def _flags_both(monkeypatch, texts, phrases, user=(), stop=()):
    old_suggest = _old(OLD_SUGGEST, SG)
    old = _old(OLD_VOC, voc)["_phrase_flags"]
    with monkeypatch.context() as m:
        m.setattr(SG, "_segmenter", old_suggest["_segmenter"])
        m.setattr(SG, "_comment_ids", old_suggest["_comment_ids"])
        before = old(list(texts), list(phrases), list(user), list(stop))
    after = voc._phrase_flags(list(texts), list(phrases), list(user), list(stop))
    assert list(before[0]) == list(after[0])
    for p in before[0]:
        assert before[0][p].dtype == after[0][p].dtype and np.array_equal(before[0][p], after[0][p]), p
    assert before[1] == after[1]
    return after


def _phrases_of(texts, **options) -> list[str]:
    found = SG.suggest_themes(texts, max_suggestions=12, **options)
    return list(dict.fromkeys(p.phrase for theme in found.suggestions for p in theme.phrases))


def test_phrase_flags_samples(monkeypatch, studies):
    for study in studies.values():
        cfg = study.project.comments
        full = study.view.full
        texts = full.comments["text"].fillna("").astype(str).tolist()
        phrases = list(voc._phrases(study.suggestions)) or _phrases_of(texts)
        flags, _words = _flags_both(monkeypatch, texts, phrases, cfg.user_words, cfg.stop_words)
        assert sum(int(f.sum()) for f in flags.values()) > 100


def test_phrase_flags_waimai_reviews(monkeypatch):
    texts = pd.read_csv(REALDATA / "waimai_10k" / "waimai_10k.csv")["review"].fillna("").astype(str).tolist()
    phrases = _phrases_of(texts[:3000]) + ["速度慢", "送餐 太慢", "味道", "不好吃", "coco", "外卖小哥"]
    flags, _words = _flags_both(monkeypatch, texts, phrases, ["外卖小哥"], ["真心"])
    assert flags["速度慢"].sum() > 10


def test_phrase_flags_sudzilla_answers(monkeypatch):
    frames = [pd.read_csv(REALDATA / "sudzilla_event_survey" / name) for name in ("input_01.csv", "input_02.csv")]
    texts = [str(v) for f in frames for c in f.columns if f[c].dtype == object for v in f[c].fillna("")]
    phrases = _phrases_of(texts, min_comments=2) + ["bad service", "keynote", "food"]
    _flags_both(monkeypatch, texts, phrases)


def test_phrase_flags_edges(monkeypatch):
    texts = ["", "The card reader's broken; card readers everywhere!", "card. reader", "Card  Reader",
             "速度慢，太慢了", "速度 慢", "速度|慢", "送餐太慢 送餐 太慢", "queries and query", "Harbour  Bank app",
             "harbour bank", "card reader card reader", "x", "delays delay delayed", "速度慢速度慢", "a|b c",
             "The card reader's broken; card readers everywhere!"]
    phrases = ["card reader", "速度慢", "送餐 太慢", "query", "harbour bank app", "delay", "card", "the", "|",
               "reader card reader", "慢"]
    _flags_both(monkeypatch, texts, phrases, ["Harbour Bank", "送餐"], ["everywhere"])
    _flags_both(monkeypatch, texts, [], [], [])
    _flags_both(monkeypatch, [], phrases, [], [])
    _flags_both(monkeypatch, ["only one comment about the card reader"], ["card reader"])


def test_shared_segmenter_segments_alike():
    old = _old(OLD_SUGGEST, SG)["_segmenter"]
    texts = pd.read_csv(REALDATA / "waimai_10k" / "waimai_10k.csv", nrows=800)["review"].astype(str).tolist()
    for user in ([], ["外卖小哥", "Harbour Bank", "送餐"]):
        fresh, shared = old(user), SG._segmenter(user)
        assert SG._segmenter(user) is shared
        assert all(fresh.cut(SG._normalise_text(t)) == shared.cut(SG._normalise_text(t)) for t in texts)


# --------------------------------------------------------------------------- customer value


def test_chi2_matches_scipy():
    from scipy.stats import chi2_contingency

    rng = np.random.default_rng(11)
    tables = [rng.random((int(rng.integers(2, 4)), 2)) * scale for scale in (1, 50, 1e4, 1e7) for _ in range(300)]
    tables += [np.round(t) + 1 for t in tables[:200]]
    tables += [np.array([[5.0, 0.0], [3.0, 7.0]]), np.array([[1.0, 2.0], [2.0, 4.0]]),
               np.array([[0.5, 1e-9], [3.0, 1e9], [2.0, 2.0]]), np.array([[np.nan, 1.0], [2.0, 3.0]])]
    for table in tables:
        try:
            res = chi2_contingency(table, correction=False)
            expected = (float(res[0]), float(res[1]), int(res[2]))
        except ValueError:
            with pytest.raises(ValueError):
                V._chi2_independence(table)
            continue
        assert canon(V._chi2_independence(table)) == canon(expected), table
    for bad in (np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([[-1.0, 2.0], [1.0, 2.0]])):
        with pytest.raises(ValueError):
            chi2_contingency(bad, correction=False)
        with pytest.raises(ValueError):
            V._chi2_independence(bad)


def test_churn_by_nps_group(studies):
    old = _old(OLD_VALUE, V)["churn_by_nps_group"]
    rng = np.random.default_rng(5)
    cases = []
    for study in studies.values():
        value = study.value
        if value is not None and value.churn is not None:
            cf = CU.load_customers_cached(study.project)
            churned = value.join.take(cf.customers["churned"].to_numpy(dtype=float), missing=math.nan).astype(float)
            cases.append((study.data.values["nps"], churned, study.data.weights))
    assert cases
    n = 400
    cases += [(rng.integers(0, 11, n).astype(float), rng.integers(0, 2, n).astype(float), rng.random(n) + 0.2),
              (np.full(n, 10.0), rng.integers(0, 2, n).astype(float), None),                   # promoters only
              (rng.integers(0, 11, n).astype(float), np.zeros(n), None),                       # nobody churned
              (np.array([9.0, 3.0]), np.array([1.0, 0.0]), None),                              # tiny
              (np.array([np.nan, 7.0, 2.0, 10.0]), np.array([1.0, np.nan, 0.0, 1.0]), None)]   # missing values
    for nps, churned, weights in cases:
        assert same(old(nps, churned, weights=weights), V.churn_by_nps_group(nps, churned, weights=weights))


def _transactions(rng, n: int, customers: int):
    ids = np.array([f"C{i:04d}" for i in range(customers)], dtype=object)
    who = rng.integers(0, customers, n)
    days = np.datetime64("2025-01-01") + rng.integers(0, 500, n).astype("timedelta64[D]")
    amount = np.round(rng.lognormal(3, 1, n), 2)
    amount[rng.random(n) < 0.05] *= -1
    return ids, who, days, amount


def test_rfm_from_numbered_customers():
    old = _old(OLD_VALUE, V)["rfm_from_transactions"]
    rng = np.random.default_rng(8)
    ids, who, days, amount = _transactions(rng, 3000, 400)
    amount[:50] = 20.0                                   # ties in monetary value
    settings = [{}, {"window_days": 365}, {"window_days": 30, "as_of": "2025-12-31"}, {"as_of": "2025-03-01"},
                {"window_days": 1}, {"top_share": 0.5}]
    for options in settings:
        try:
            expected = old(ids[who], days, amount, **options)
        except DataError as exc:
            with pytest.raises(DataError, match=str(exc)[:20]):
                V.rfm_from_transactions(who, days, amount, customer_ids=ids, **options)
            continue
        assert same(expected, V.rfm_from_transactions(who, days, amount, customer_ids=ids, **options)), options
    # one customer; refunds only; no transaction in the window; every customer once
    one = np.zeros(5, dtype=np.int64)
    assert same(old(ids[one], days[:5], np.abs(amount[:5])), V.rfm_from_transactions(one, days[:5], np.abs(amount[:5]), customer_ids=ids))
    for args, options in (((one, ids, days[:5], -np.abs(amount[:5])), {}),
                          ((one, ids, days[:5], amount[:5]), {"as_of": "2000-01-01"})):
        with pytest.raises(DataError) as first:
            old(ids[args[0]], *args[2:], **options)
        with pytest.raises(DataError) as second:
            V.rfm_from_transactions(args[0], *args[2:], customer_ids=args[1], **options)
        assert str(first.value) == str(second.value)
    each = np.arange(400)
    assert same(old(ids[each], days[:400], amount[:400]), V.rfm_from_transactions(each, days[:400], amount[:400], customer_ids=ids))


def test_customer_files(studies, tmp_path):
    """The samples' files and a transactions file with spaces around ids, excluded rows and
    customer columns: the RFM from the loader's numbers, the checked RFM and join, as before."""
    old = _old(OLD_VALUE, V)
    old_rfm = _old(OLD_CUSTOMER_FILE_RFM, CU)["rfm"]
    files = [CU.load_customers(study.project) for study in studies.values()]
    path = tmp_path / "transactions.csv"
    rng = np.random.default_rng(4)
    ids, who, days, amount = _transactions(rng, 2000, 300)
    text_ids = [f"  {i} " if k % 7 == 0 else str(i) for k, i in enumerate(ids[who])]
    dates = [str(d) for d in days]
    dates[3] = "not a date"
    text_ids[5] = ""
    pd.DataFrame({"id": text_ids, "date": dates, "amount": amount, "tier": rng.choice(["Gold", "", "Silver"], 2000),
                  "churned": rng.choice(["yes", "no", ""], 2000)}).to_csv(path, index=False)
    files.append(CU.read_customers(path, CU.CustomerColumns("id", date="date", amount="amount", value_tier="tier",
                                                            churned="churned"), layout="transactions"))
    customers = tmp_path / "customers.csv"
    pd.DataFrame({"id": [f"K{i}" for i in range(50)], "r": rng.integers(0, 9, 50), "f": rng.integers(1, 4, 50),
                  "m": np.round(rng.random(50) * 10, 0)}).to_csv(customers, index=False)
    files.append(CU.read_customers(customers, CU.CustomerColumns("id", recency="r", frequency="f", monetary="m")))
    for cf in files:
        assert cf.ids_checked
        for options in ({}, {"window_days": 365}, {"top_share": 0.3}):
            assert same(old_rfm(cf, **options), cf.rfm(**options)), (cf.file, options)
        cust = cf.customers["customer_id"].to_numpy(dtype=object)
        respondents = np.concatenate([cust[::3], np.array(["nobody", "", " " + str(cust[0]) + " "], dtype=object)])
        assert same(old["join_customers"](respondents, cust, cf.customers["row"].to_numpy()),
                    V.join_customers(respondents, cust, cf.customers["row"].to_numpy(), checked_ids=True))
    with pytest.raises(DataError) as first:
        old["rfm_from_fields"](["a", "a"], [1, 2], [1, 1], [3, 4])
    with pytest.raises(DataError) as second:
        V.rfm_from_fields(["a", "a"], [1, 2], [1, 1], [3, 4])
    assert str(first.value) == str(second.value)


# --------------------------------------------------------------------------- case log, competitors, standards, pinyin


def test_response_times(studies):
    from cxreport.window import resolve

    old = _old(OLD_RESPONSE, R)["score_response_times"]
    for study in studies.values():
        log = CA.load_cases_cached(study.project)
        if log is None:
            continue
        project = study.project
        ids = study.data.comments["respondent_id"].to_numpy(dtype=object)
        windows = [study.view.window, resolve("all", project, study.full, where="--period")]
        for window in windows:
            for segment in [None] + [(name, value) for name in log.segments
                                     for value in sorted(set(log.frame[f"seg:{name}"]))[:2]]:
                kwargs = dict(survey=study.data, survey_ids=ids, segment=segment)
                assert same(old(log, project, window, **kwargs), R.score_response_times(log, project, window, **kwargs))
        # the figures of no case at all, and of one
        assert same(R.compliance("x", log.frame.iloc[:0], log.standards, log.closure, np.datetime64("2026-01-01"), (30, 100)),
                    _old(OLD_RESPONSE, R)["compliance"]("x", log.frame.iloc[:0], log.standards, log.closure,
                                                        np.datetime64("2026-01-01"), (30, 100)))
        one = log.frame.iloc[:1]
        as_of = np.datetime64(log.as_of.to_datetime64(), "ns")
        assert same(R.compliance("x", one, log.standards, log.closure, as_of, (1, 2), 60.0),
                    _old(OLD_RESPONSE, R)["compliance"]("x", one, log.standards, log.closure, as_of, (1, 2), 60.0))
        # the file's row numbers, as Table.row_number gives them
        from cxreport.load.tabular import read_table

        table = read_table(Path(project.cases.file), name="cases", encoding=project.cases.encoding,
                           sheet=project.cases.sheet)
        rows = np.array([table.row_number(i) for i in table.frame.index], dtype=np.int64)
        assert set(log.frame["row"]) <= set(rows.tolist())
        assert len(set(log.frame["row"])) + log.excluded_count == len(rows)


def test_competitor_survey(monkeypatch, studies):
    from cxreport.scoring.kpis import BaseRules

    old = _old(OLD_COMPETITORS, K)["_survey"]
    checked = 0
    for study in studies.values():
        project = study.project
        cfg = getattr(project.competitors, "survey", None) if project.competitors else None
        if cfg is None:
            continue
        rules = BaseRules(project.bases.suppress_below, project.bases.flag_below)
        own = project.competitors.own_brand
        for window in (study.view.window, None):
            with i18n.use_language(project.language):
                assert same(old(project, cfg, rules, 0.05, own, window), K._survey(project, cfg, rules, 0.05, own, window))
            checked += 1
    assert checked


def test_standards_library_parses_alike():
    import yaml

    path = S.default_library_path()
    text = path.read_text(encoding="utf-8-sig")
    expected = yaml.safe_load(text)
    assert same(S._load_yaml(text, path), expected)
    assert canon(S._load_yaml(text, path)) == canon(expected)
    other = Path(__file__)                       # any other file: PyYAML's own parser, its messages
    with pytest.raises(yaml.YAMLError):
        S._load_yaml("a: [1, 2", other)
    assert S._load_yaml("a: 1", other) == {"a": 1}


def test_pinyin_segmenter_state_as_load_phrases_dict_leaves_it():
    from cxreport import validate

    reading = validate._pinyin()
    assert reading is not None
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.seg import mmseg

    for phrase, value in validate._PLACE_READINGS.items():
        assert PHRASES_DICT[phrase] == value
    held = set(mmseg.seg._prefix_set._set)
    mmseg.retrain(mmseg.seg)                     # what load_phrases_dict does: adds nothing new
    assert set(mmseg.seg._prefix_set._set) == held
    assert reading("朝阳区") == ["chao2", "yang2", "qu1"]
    assert sorted(["上海", "北京", "朝阳", "重庆"], key=validate.natural_key) == ["北京", "朝阳", "重庆", "上海"]


# --------------------------------------------------------------------------- end to end


PARTS = ("drivers", "insights", "suggestions", "emotion", "consistency", "value", "response", "competitors",
         "benchmarks", "tiers", "targets", "priorities", "journey", "voice", "actions")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_studies_as_before(monkeypatch, studies, lang):
    """Both samples' studies with every old function put back give every result the new code gives."""
    from cxreport.pipeline import run

    new = studies[lang]
    old_value = _old(OLD_VALUE, V)
    old_suggest = _old(OLD_SUGGEST, SG)
    old_join = old_value["join_customers"]
    with monkeypatch.context() as m:
        m.setattr(D, "_resampled_sums", _old(OLD_DRIVERS, D)["_resampled_sums"])
        m.setattr(SG, "_segmenter", old_suggest["_segmenter"])
        m.setattr(SG, "_comment_ids", old_suggest["_comment_ids"])
        m.setattr(voc, "_phrase_flags", _old(OLD_VOC, voc)["_phrase_flags"])
        m.setattr(V, "churn_by_nps_group", old_value["churn_by_nps_group"])
        m.setattr(V, "rfm_from_transactions", old_value["rfm_from_transactions"])
        m.setattr(V, "rfm_from_fields", old_value["rfm_from_fields"])
        m.setattr(V, "join_customers", lambda *a, checked_ids=False, **k: old_join(*a, **k))
        m.setattr(CU.CustomerFile, "rfm", _old(OLD_CUSTOMER_FILE_RFM, CU)["rfm"])
        m.setattr(R, "score_response_times", _old(OLD_RESPONSE, R)["score_response_times"])
        m.setattr(K, "_survey", _old(OLD_COMPETITORS, K)["_survey"])
        m.setattr(S, "_load_yaml", lambda text, path: __import__("yaml").safe_load(text))
        m.setattr(CU, "_CACHE", {})
        m.setattr(CA, "_CACHE", {})
        project = load_project(SAMPLES[lang])
        with i18n.use_language(project.language):
            before = run(project)
    for part in PARTS:
        assert canon(getattr(before, part)) == canon(getattr(new, part)), part
    assert canon(before.data.report.inputs) == canon(new.data.report.inputs)


# --------------------------------------------------------------------------- the old code, verbatim

OLD_DRIVERS = r'''
def _resampled_sums(features, n: int, q: int, rng: np.random.Generator, replicates: int) -> np.ndarray:
    """Σ_rows count_b · f(row) for every replicate b, where ``features(start, stop)`` returns
    the rows' q products (already weighted). The counts of a group of replicates times the
    products of a chunk of rows is one matrix product (:func:`_exact_product`, whose bits do not
    depend on the BLAS library's threads); the rows are never copied."""
    out = np.empty((replicates, q))
    done = 0
    for counts in _counts(rng, n, replicates):
        size = len(counts)
        biggest = int(counts.max()) if counts.size else 1
        # exact sums need (largest count) × (rows in a chunk) < 2²⁷
        chunk = max(1, min(max(1024, _CHUNK_CELLS // max(q, 1)), (1 << 27) // max(biggest, 1) - 1))
        acc = np.zeros((size, q))
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            acc += _exact_product(counts[:, start:stop], features(start, stop))
        out[done:done + size] = acc
        done += size
    return out
'''


OLD_SUGGEST = r'''
def _segmenter(user_words: list[str]):
    import rjieba

    seg = rjieba.Jieba()
    for word in user_words:
        if _CJK.search(word):
            seg.add_word(_normalise_text(word), None, None)
    return seg


def _comment_ids(text: str, vocab: _Vocabulary, seg) -> list[int]:
    norm = _normalise_text(text)
    if seg is not None:
        return vocab.lookup(_cut(seg, norm))
    return vocab.lookup(vocab.pattern.findall(norm))
'''


OLD_VOC = r'''
def _phrase_flags(texts: list[str], phrases: list[str], user_words, stop_words):
    """Phrase → flag per text: the phrase's words follow one another in the comment's words (split as the
    suggested themes split them: stop words dropped, no match across a clause's end); a Chinese phrase
    also matches where its characters are written as one word or split otherwise (速度慢 / 速度 + 慢)."""
    from cxreport.scoring import suggest

    user = list(user_words or [])
    vocab = suggest._Vocabulary(user, list(stop_words or []))
    seg = None

    def words_of(text: str) -> list[str]:
        nonlocal seg
        if suggest._CJK.search(text) and seg is None:
            seg = suggest._segmenter(user)
        ids = suggest._comment_ids(text, vocab, seg if suggest._CJK.search(text) else None)
        return ["|" if k == suggest._BREAK else vocab.norms[vocab.norm_of[k]] for k in ids]

    wanted = {}
    for p in phrases:
        w = [x for x in words_of(p) if x != "|"]
        if w:
            wanted[p] = (tuple(w), bool(suggest._CJK.search(p)), "".join(w))
    flags = {p: np.zeros(len(texts), dtype=bool) for p in wanted}
    if not wanted:
        return flags, {}
    by_length: dict[int, dict[tuple, list[str]]] = {}
    for p, (w, _zh, _joined) in wanted.items():
        by_length.setdefault(len(w), {}).setdefault(w, []).append(p)
    chinese = [(p, joined) for p, (_w, zh, joined) in wanted.items() if zh]
    # A comment can only use a phrase whose every word is written in it: a normalised word less its
    # last letter ("query" of "queries", "reader" of "readers") is in the comment's normalised text,
    # so only the comments holding every such stem of some phrase are split into words.
    stems = [[(w[:-1] if len(w) > 1 else w).split()[0] for w in v[0]] for v in wanted.values()]
    for i, text in enumerate(texts):
        if not text:
            continue
        norm = suggest._normalise_text(text)
        if not any(all(stem in norm for stem in group) for group in stems):
            continue
        tokens = words_of(text)
        for size, table in by_length.items():
            for k in range(len(tokens) - size + 1):
                for p in table.get(tuple(tokens[k:k + size]), ()):
                    flags[p][i] = True
        if chinese and suggest._CJK.search(text):
            clauses = "".join(tokens).split("|")
            for p, joined in chinese:
                if not flags[p][i] and any(joined in c for c in clauses):
                    flags[p][i] = True
    return flags, {p: list(v[0]) for p, v in wanted.items()}
'''


OLD_VALUE = r'''
def rfm_from_transactions(customer_id, date, amount, *, as_of=None, window_days: int | None = None,
                          top_share: float = TOP_SHARE) -> RFMResult:
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
    """
    ids_raw = np.asarray(customer_id)
    if ids_raw.dtype.kind not in "iu":                   # integer customer numbers hash fastest
        ids_raw = ids_raw.astype(object)
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


def rfm_from_fields(customer_id, recency_days, frequency, monetary, *, top_share: float = TOP_SHARE) -> RFMResult:
    """RFM scores from per-customer fields (one entry per customer, in file order).

    Raises :class:`DataError` for a blank or repeated id, a blank or non-numeric value, a
    negative recency or frequency. Monetary may be negative (net of refunds).
    """
    ids = _ids(customer_id)
    if len(ids) == 0:
        raise DataError("RFM: no customers")
    message = duplicate_ids_message(ids)
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


def join_customers(respondent_ids, customer_ids, customer_rows=None, *, examples: int = 5) -> CustomerJoin:
    """Match respondents to customers by id (text, surrounding spaces ignored).

    A customer id on more than one row is an error naming the ids and rows
    (``customer_rows``: the file's row numbers; default 1, 2, …). A blank respondent id
    matches nothing and counts as unmatched.
    """
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


def churn_by_nps_group(nps, churned, *, weights=None, rules: BaseRules = BaseRules()) -> ChurnByNPS:
    """Churn rate of promoters, passives and detractors with Wilson intervals, each group
    tested against promoters (pooled two-proportion z-test), and a chi-square test of
    independence over the 3 × 2 table.

    ``churned``: 1/0/NaN (see :func:`parse_flag`); NaN (no record, no flag) is left out and
    counted. Weighted: rates are weighted; the z-tests use effective bases and the
    chi-square the weighted counts rescaled to each group's effective base.
    """
    from scipy.stats import chi2_contingency

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
        res = chi2_contingency(table, correction=False)
        chi2, p, dof = float(res[0]), float(res[1]), int(res[2])
    return ChurnByNPS(groups, chi2, dof, p, int(valid.sum()), int((n_ok & ~known).sum()), int((known & ~n_ok).sum()))
'''


OLD_CUSTOMER_FILE_RFM = r'''
def rfm(self, *, as_of=None, window_days: int | None = None,
        top_share: float = _value.TOP_SHARE) -> _value.RFMResult:
    """RFM scores of the file's customers (see :mod:`cxreport.scoring.value`)."""
    if self.layout == "transactions":
        t = self.transactions
        return _value.rfm_from_transactions(t["customer_id"].to_numpy(dtype=object), t["date"].to_numpy(),
                                            t["amount"].to_numpy(dtype=float), as_of=as_of,
                                            window_days=window_days, top_share=top_share)
    c = self.customers
    return _value.rfm_from_fields(c["customer_id"].to_numpy(dtype=object), c["recency_days"].to_numpy(),
                                  c["frequency"].to_numpy(), c["monetary"].to_numpy(), top_share=top_share)
'''


OLD_RESPONSE = r'''
def compliance(label: str, frame: pd.DataFrame, standards: dict[str, float], closure: float | None,
               as_of: np.datetime64, rules: tuple[int, int], standard: float | None = None) -> Compliance:
    """The figures of the cases in ``frame`` (each judged against its own channel's standard)."""
    out = Compliance(label, standard, cases=len(frame))
    if not len(frame):
        out.base = "suppressed"
        return out
    received = frame["received"].to_numpy(dtype="datetime64[ns]")
    first = frame["first_response"].to_numpy(dtype="datetime64[ns]")
    closed = frame["closed"].to_numpy(dtype="datetime64[ns]")
    limit = frame["channel"].map(standards).to_numpy(dtype=float)
    answered = ~np.isnat(first)
    seconds = (first - received).astype("timedelta64[ns]").astype(np.int64) / 1e9
    waited = (as_of - received).astype("timedelta64[ns]").astype(np.int64) / 1e9
    within = answered & (seconds <= limit)
    due = answered | (waited > limit)
    out.answered = int(answered.sum())
    out.due, out.within = int(due.sum()), int(within.sum())
    out.pending = out.cases - out.due
    out.base = _base(out.due, *rules)
    if out.due:
        p = out.within / out.due
        low, high = wilson(p, out.due)
        out.share, out.low, out.high = 100 * p, 100 * low, 100 * high
    times = seconds[answered]
    if len(times) and standard is not None:      # times of one channel; a mix of channels has none
        out.median = float(np.median(times))
        out.p90 = percentile_rank(times, 90)
    is_closed = ~np.isnat(closed)
    out.closed = int(is_closed.sum())
    closure_times = ((closed - received).astype("timedelta64[ns]").astype(np.int64) / 1e9)[is_closed]
    if len(closure_times):
        out.closure_median = float(np.median(closure_times))
        out.closure_p90 = percentile_rank(closure_times, 90)
    if closure is not None:
        c_due = is_closed | (waited > closure)
        c_within = is_closed & (((closed - received).astype("timedelta64[ns]").astype(np.int64) / 1e9) <= closure)
        out.closure_due, out.closure_within = int(c_due.sum()), int(c_within.sum())
        if out.closure_due:
            p = out.closure_within / out.closure_due
            low, high = wilson(p, out.closure_due)
            out.closure_share, out.closure_low, out.closure_high = 100 * p, 100 * low, 100 * high
    return out


def score_response_times(log, project, window, *, survey=None, survey_ids: np.ndarray | None = None,
                         known_ids: set[str] | None = None,
                         segment: tuple[str, str] | None = None) -> ResponseReport | None:
    """Response-time figures of ``log`` for ``window`` (a :class:`~cxreport.window.Window`).

    ``survey`` (the window's :class:`~cxreport.validate.SurveyData`) and ``survey_ids`` (its
    respondent ids, one per row) give the detractor follow-up when the log links cases to
    respondents; ``known_ids`` (every respondent id of the survey file) counts the linked ids
    that match no respondent. ``segment`` = (name, group) keeps the cases of one group of a case-log
    segment (a ``--per`` unit's report); None when the log has no such segment."""
    from cxreport import i18n
    from cxreport.benchmark.targets import status as rule_status
    from cxreport.periods import assign_periods

    cfg = project.cases
    frame = log.frame
    if segment is not None:
        column = f"seg:{segment[0]}"
        if column not in frame.columns:
            return None
        frame = frame[frame[column].map(lambda t: t.casefold()) == str(segment[1]).casefold()].reset_index(drop=True)
    rules = (project.bases.suppress_below, project.bases.flag_below)
    alpha = project.significance.alpha
    as_of = np.datetime64(log.as_of.to_datetime64(), "ns")
    local_days = pd.Series(frame["local"].to_numpy(dtype="datetime64[ns]")).dt.normalize()
    with i18n.use_language(project.language):
        codes, periods = assign_periods(local_days, project.periods.unit, project.periods.fiscal_year_start,
                                        project.periods.waves)
    cases_view = SimpleNamespace(n=len(frame), period_codes=codes, periods=periods, dates=local_days)
    if window.dated:
        in_window = window.span.mask(cases_view)
    else:
        in_window = np.ones(len(frame), dtype=bool)
    previous_span = window.previous if window.dated else None
    in_previous = previous_span.mask(cases_view) if previous_span is not None else None

    def score(label: str, mask: np.ndarray, standard: float | None = None) -> Compliance:
        return compliance(label, frame[mask], log.standards, log.closure, as_of, rules, standard)

    def judge(c: Compliance) -> None:
        if cfg.target is not None and c.base != "suppressed" and c.share is not None:
            c.status = rule_status(c.share, cfg.target, cfg.tolerance, "percent")
        elif cfg.target is not None:
            c.status = "none"

    channel = frame["channel"].to_numpy(dtype=object)
    channels = []
    for name, seconds in log.standards.items():
        c = score(name, in_window & (channel == name), seconds)
        if in_previous is not None:
            _compare(c, score(name, in_previous & (channel == name), seconds), alpha)
        judge(c)
        channels.append(c)
    _adjust_channels(channels, alpha)
    total = score("", in_window)
    if in_previous is not None:
        _compare(total, score("", in_previous), alpha)
    judge(total)

    trend = []
    last = window.last_key
    for k, period in enumerate(periods):
        if last is not None and period.key > last:
            continue
        mask = codes == k
        trend.append({"label": period.label, "key": period.key, "total": score(period.label, mask),
                      "channels": {name: score(name, mask & (channel == name), s)
                                   for name, s in log.standards.items()}})
    for before, now in zip(trend, trend[1:]):
        _compare(now["total"], before["total"], alpha)

    breakdowns = []
    named = [("category", "category")] if log.has_category else []
    named += [(seg, f"seg:{seg}") for seg in log.segments]
    for name, column in named:
        values = frame[column].to_numpy(dtype=object)
        rows = []
        for group in _groups(values[in_window]):
            c = score(group or NOT_STATED, in_window & (values == group))
            judge(c)
            rows.append(c)
        breakdowns.append(Breakdown("category" if column == "category" else name, rows))

    backlog = _backlog(frame, log, cfg, window, as_of)
    follow_up = None
    if log.linked and survey is not None and survey_ids is not None:
        follow_up = _follow_up(frame, log, survey, survey_ids, as_of, rules, known_ids)
    as_of_local = pd.Timestamp(log.as_of).tz_localize("UTC").tz_convert(log.zone).tz_localize(None)
    return ResponseReport(log.file, window.label, previous_span.label if previous_span is not None else None,
                          dict(log.standards), log.closure, cfg.target, cfg.tolerance, channels, total, trend,
                          breakdowns, backlog, follow_up, log.rows_read, log.rows_used,
                          {k: len(v) for k, v in log.excluded.items()}, as_of_local, alpha, *rules)
'''


OLD_COMPETITORS = r'''
def _survey(project: Project, cfg, rules: BaseRules, alpha: float, own_brand: str, window=None) -> list[MetricComparison]:
    survey = read_competitor_survey(cfg, display_path(cfg.file, project.base_dir), project.periods.timezone)
    name = survey.name
    full = survey.frame
    columns = list(full.columns)
    brands: list[str]
    if cfg.brand_column:
        if cfg.brand_column not in columns:
            raise DataError(f"competitors.survey.brand_column: column '{cfg.brand_column}' not found in "
                            f"{name}{did_you_mean(cfg.brand_column, columns)}")
        brands = sorted({str(b).strip() for b in full[cfg.brand_column] if str(b).strip()}, key=str.casefold)
    else:
        brands = list(cfg.brands)
    if own_brand not in brands:
        raise DataError(f"competitors.own_brand: '{own_brand}' is not among the brands in {name}"
                        f"{did_you_mean(own_brand, brands)} (brands: {', '.join(brands)})")
    for key in SURVEY_KPIS:
        for where, template in _templates(cfg, key):
            for brand in brands:
                column = template.replace("{brand}", brand) if cfg.brands else template
                if column not in columns:
                    raise DataError(f"competitors.survey.{where}: column '{column}' not found in {name}"
                                    f"{did_you_mean(column, columns)}")
    if cfg.weight and cfg.weight not in columns:
        raise DataError(f"competitors.survey.weight: column '{cfg.weight}' not found in {name}"
                        f"{did_you_mean(cfg.weight, columns)}")
    cut = survey_rows(project, cfg, survey, window)
    frame = full.iloc[cut.rows]
    out = []
    for key in SURVEY_KPIS:
        template = getattr(cfg, key)
        if not template:
            continue
        spec = {"nps": ItemSpec.nps(), "csat": ItemSpec.csat(scale=cfg.csat_scale), "ces": ItemSpec.ces(),
                "acsi": ItemSpec.acsi()}[key]
        results = {}
        for brand in brands:
            rows = frame[cfg.brand_column].astype(str).str.strip() == brand if cfg.brand_column else slice(None)
            missing = [float(c) for c in project.missing_codes]
            if key == "acsi":
                values = _acsi_values(project, frame.loc[rows], template, brand if cfg.brands else None, missing)
            else:
                column = template.replace("{brand}", brand) if cfg.brands else template
                raw = frame.loc[rows, column].astype(str).str.strip()
                values = np_numeric(raw, spec.low, spec.high, missing)
            weights = None
            if cfg.weight:
                weights = np_numeric(frame.loc[rows, cfg.weight].astype(str).str.strip(), 0, 1e9, [])
                weights = np.where(np.isnan(weights), 0.0, weights)
            results[brand] = score_item(spec, values, weights, rules)
        own_result = results[own_brand]
        values_out = []
        for brand in brands:
            res = results[brand]
            est = res.headline
            bv = BrandValue(brand, est.value if est.shown else None, est.low, est.high, est.n, est.base,
                            own=brand == own_brand, source="competitor survey")
            if brand != own_brand:
                test = compare(own_result, res)
                if test is not None:
                    bv.diff, bv.p_value, bv.testable = test.diff, test.p_value, True
                    bv.mark = test.direction if test.significant(alpha) else 0
            values_out.append(bv)
        adjust_brands(values_out, alpha)
        notes = list(cut.notes) + [
            _("Brands were rated by the same respondents; differences are tested as if the samples were "
              "independent, which is conservative when ratings are positively correlated.")]
        out.append(_summarise(METRIC_OF[key], "survey", values_out, own_brand, notes, cut.period))
    return out
'''
