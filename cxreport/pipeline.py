"""The pipeline: load → validate → score → benchmark. Presentation takes its result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cxreport.benchmark.compare import BenchmarkRow, compare_standards, evaluate_tiers
from cxreport.benchmark.competitors import MetricComparison, compare_competitors
from cxreport.benchmark.targets import TargetReport, evaluate_targets
from cxreport.config import Project, load_project
from cxreport.config.paths import display_path
from cxreport.errors import DataError
from cxreport.load.tabular import Table, read_table
from cxreport.scoring.kpis import BaseRules
from cxreport.scoring.survey import PeriodComparison, SurveyResults, score_survey
from cxreport.validate import SurveyData, ValidationReport, multi_punch_hint, prepare
from cxreport.window import Scope, View, Window


@dataclass
class Study:
    """Everything computed for one project, for its reporting window: the inputs' report,
    the window (``view``) and the results every section shows."""

    project: Project
    table: Table
    data: SurveyData                                            # the window's responses
    results: SurveyResults                                      # the window's figures; ``periods`` the trend
    targets: TargetReport
    benchmarks: list[BenchmarkRow] = field(default_factory=list)
    tiers: dict = field(default_factory=dict)
    competitors: list[MetricComparison] = field(default_factory=list)
    drivers: object = None                                      # DriverReport or None
    voice: object = None                                        # CommentAnalysis or None
    priorities: list = field(default_factory=list)              # Priority, ranked
    journey: object = None                                      # JourneyMap or None
    mentions: list = field(default_factory=list)                # MentionTable per multi-punch question
    timings: dict[str, float] = field(default_factory=dict)   # seconds per step, for benchmarks
    view: View | None = None                                    # the reporting window, applied
    comparisons: list[PeriodComparison] = field(default_factory=list)   # window vs previous, year ago, baseline
    scopes: dict[str, Scope] = field(default_factory=dict)      # section → the rows it describes
    sources: list = field(default_factory=list)                 # KPI figures from several sources (reconciled)
    unit: object = None                                         # UnitReport in a --per unit's study
    actions: object = None                                      # ActionReport (the action register) or None
    response: object = None                                     # ResponseReport (the case log) or None
    # Voice of the customer and customer value (issue 16; docs/voice.md, docs/customer-value.md)
    insights: object = None                                     # CommentInsights (theme impact, trends, emerging) or None
    suggestions: object = None                                  # StudySuggestions (suggested themes) or None
    emotion: object = None                                      # JourneyEmotion (tone by touchpoint and stage) or None
    consistency: object = None                                  # StudyConsistency (KPIs across channels) or None
    value: object = None                                        # CustomerValue (RFM, value segments, churn) or None
    #: The tests the report's key findings make (:meth:`tested`), by what they test: made with the
    #: scores (:func:`score_data`) and stored with the study in the build cache, so a rebuild's key
    #: findings need not make them again (nor import scipy to do it).
    tests: dict = field(default_factory=dict)

    @property
    def validation(self) -> ValidationReport:
        return self.data.report

    @property
    def window(self) -> Window:
        return self.view.window

    @property
    def full(self) -> SurveyData:
        """Every response (the window is ``data``)."""
        return self.view.full

    def scope(self, section: str) -> Scope:
        return self.scopes.get(section) or self.view.scope(section)

    def comparison(self, kind: str) -> PeriodComparison | None:
        return next((c for c in self.comparisons if c.kind == kind), None)

    def unit_segments(self) -> list[str]:
        """The segments whose groups are ranked as movers (``quarterly.units``, else every
        segment with more than 4 groups)."""
        q = self.project.quarterly
        names = list(q.units) if q.units else [s.name for s in self.view.full.segments if len(s.labels) > 4]
        if self.unit is not None:
            # In a unit's report its own segment and its parent's hold one group, the unit itself
            # (or its parent's share of it): not peers to rank. Only segments that split the unit.
            own = {self.unit.segment, self.unit.parent_segment}
            groups = {s.name: len(set(s.codes[s.codes >= 0].tolist())) for s in self.view.full.segments}
            names = [n for n in names if n not in own and groups.get(n, 0) >= 2]
        return names

    def unit_changes(self, kind: str, keys: list[str], segments: list[str]) -> dict | None:
        """Every group of ``segments`` in the window against the comparison period ``kind``
        (``previous``, ``year_ago``, …) on the items ``keys``, tested
        (:func:`cxreport.scoring.survey.segment_changes`); None when the window has no such
        comparison. Computed once per study (:meth:`tested`)."""
        def compute():
            from cxreport.scoring.survey import segment_changes

            found = self.view.comparison(kind) if self.view is not None else None
            return None if found is None else segment_changes(
                self.view.full, self.view.mask, found[2], self.results.rules, self.results.alpha, keys=list(keys),
                segments=list(segments))

        return self.tested(("unit changes", kind, tuple(keys), tuple(segments)), compute)

    def tested(self, what: tuple, compute):
        """``compute()``, the test ``what`` names, made once per study (:attr:`tests`)."""
        if what not in self.tests:
            self.tests[what] = compute()
        return self.tests[what]


def load_survey(project: Project) -> Table:
    survey = project.survey
    return read_table(survey.file, name=display_path(survey.file, project.base_dir),
                      encoding=survey.encoding, sheet=survey.sheet, format=survey.format,
                      header_row=survey.header_row, meta=survey.meta,
                      meta_name=display_path(survey.meta, project.base_dir) if survey.meta else None)


def validate_project(project: Project, *, strict: bool = False,
                     timings: dict[str, float] | None = None) -> tuple[Table, SurveyData]:
    import time

    t = time.perf_counter()
    table = load_survey(project)
    t1 = time.perf_counter()
    data = prepare(project, table)
    if strict and not data.report.clean:
        raise DataError(f"{table.name}: invalid data (--strict)", data.report.warnings())
    if timings is not None:
        timings["read survey file"] = t1 - t
        timings["validate"] = time.perf_counter() - t1
    return table, data


def run(project: Project | str | Path, *, strict: bool = False, allow_outside: bool = False,
        period: str | None = None, on_scoring=None) -> Study:
    """Load, validate and score ``project`` for its reporting window (``period`` overrides
    ``report.period``; it is named ``--period`` in errors). ``on_scoring()`` is called when the
    study's scoring starts (not when it is read from the cache; see :func:`score_data`)."""
    timings: dict[str, float] = {}
    if not isinstance(project, Project):
        project = load_project(project, allow_outside=allow_outside)
    from cxreport import cache

    store = cache.active()
    if store is not None:
        # The content-addressed cache (docs/cache.md): a study scored before from the same
        # code, settings (the narrative aside) and input files is read instead of scored.
        return _run_cached(store, project, strict, period, on_scoring)
    table, data = validate_project(project, strict=strict, timings=timings)
    window = resolve_window(project, data, period)
    return score_data(project, table, data, window=window, timings=timings, on_scoring=on_scoring)


def _run_cached(store, project: Project, strict: bool, period: str | None, on_scoring=None) -> Study:
    def compute(timings: dict) -> Study:
        table, data = validate_project(project, strict=strict, timings=timings)
        window = resolve_window(project, data, period)
        return score_data(project, table, data, window=window, timings=timings, on_scoring=on_scoring)

    return _cached_study(store, project, strict, period, compute)


def score_unit(project: Project, table: Table, data: SurveyData, *, window: Window, competitors, unit,
               strict: bool = False) -> Study:
    """:func:`score_data` for one unit of a ``--per`` batch (``unit`` its
    :class:`~cxreport.scoring.units.UnitReport`), through the build's cache when it has one:
    keyed like the whole project's study (the unit's data is the part of the project's data the
    segment ``unit.segment`` gives ``unit.label``) and the unit."""
    from cxreport import cache

    def compute(timings: dict) -> Study:
        return score_data(project, table, data, window=window, timings=timings, competitors=competitors, unit=unit)

    store = cache.active()
    if store is None:
        return compute({})
    return _cached_study(store, project, strict, None, compute, unit=unit)


def _cached_study(store, project: Project, strict: bool, period: str | None, compute, unit=None) -> Study:
    """The study ``compute(timings)`` makes, read from the cache when the same code, settings
    (the narrative aside), input files, ``--strict``, window and unit made it before."""
    import time

    from cxreport import cache
    from cxreport.scoring.actions import check_markers, load_register

    t = time.perf_counter()
    try:
        key, narrative = _study_key(project, strict, period)
        if unit is not None:
            key = cache.key(key, "unit", unit.segment, unit.label)
    except (cache.Unstable, OSError):
        key, narrative = None, set()
    entry = store.get_object("studies", key, count=False) if key else None
    hit = isinstance(entry, dict) and isinstance(entry.get("study"), Study) and _unchanged(entry.get("read", {}))
    store._count("studies", hit)
    if hit:
        study = entry["study"]
        study.project = project              # the same settings; its narrative is this build's
        if unit is not None:
            study.unit = unit                # the same figures; its own narrative file is this build's
        else:
            # The narrative is not part of the key: its [action: ID] markers are checked as scoring does.
            check_markers(project, load_register(project))
        study.timings = {"study (from the cache)": time.perf_counter() - t}
        return study
    timings = {"study cache look-up": time.perf_counter() - t}
    with cache.recording_reads() as opened:
        study = compute(timings)
    if key:
        t = time.perf_counter()
        read = cache.hash_reads(opened, skip=narrative, cache_root=store.root)
        if read is not None:
            store.put_object("studies", key, {"study": study, "read": read})
        timings["study cache store"] = time.perf_counter() - t
    return study


def _study_key(project: Project, strict: bool, period: str | None) -> tuple[str, set]:
    """The study cache key: the code and libraries, the project's settings without its
    narrative, the hash of every file the settings name (the narrative files aside),
    ``--strict``, the window and the language. Files the scoring opens that the settings do
    not name are recorded in the entry and checked on a hit (:func:`_unchanged`)."""
    from cxreport import cache, i18n, manifest

    narrative = {project.report.narrative.executive_summary, project.report.narrative.recommendations,
                 project.quarterly.narrative}
    narrative = {Path(p).resolve() for p in narrative if p is not None}
    pattern = project.report.narrative.per_unit
    if pattern:
        narrative |= {p.resolve() for p in Path(project.base_dir).glob(pattern.replace("{unit}", "*"))}
    named = [p for p in manifest.project_inputs(project) if Path(p).resolve() not in narrative]
    settings = project.model_dump(mode="json", exclude={"report": {"narrative"}, "quarterly": {"narrative"}})
    key = cache.key("study", cache.code_fingerprint(), cache.library_versions(), cache.sentiment_model(),
                    i18n.current().code, str(project.path), settings,
                    manifest.hash_inputs(named, project.base_dir), bool(strict), period)
    return key, narrative


def _unchanged(read: dict) -> bool:
    """Every file the cached study's scoring read (beyond those its key names) is as it was."""
    from cxreport.util import sha256_file

    try:
        return all(sha256_file(path) == digest for path, digest in read.items())
    except OSError:
        return False


def check_build(study: Study, report: str = "client") -> None:
    """What ``build`` does after scoring, short of drawing charts and writing files, for
    ``cxreport validate``: the project's templates and theme (compiled), the report's context
    (narrative files, the quarterly review's periods) and the deck template (opened), in the
    project's language. Raises the error ``build`` would raise, with the same message."""
    from cxreport import i18n
    from cxreport.present.render import check_templates
    from cxreport.present.themes import project_search

    with i18n.use_language(study.project.language):
        templates = project_search(study.project)
        if templates.user_supplied:
            check_templates(templates)
        if report == "quarterly":
            from cxreport.present.quarterly import build_quarterly_context

            build_quarterly_context(study)
        else:
            from cxreport.present.context import build_context

            build_context(study)
        from cxreport.present.deck import open_template, template_path

        path = template_path(study)
        if path is not None:
            open_template(path)


def resolve_window(project: Project, data: SurveyData, period: str | None = None) -> Window:
    """The reporting window of ``project`` (or ``period`` from the command line) on ``data``."""
    from cxreport.window import resolve

    if period is not None:
        return resolve(period, project, data, baseline=project.report.baseline, where="--period")
    return resolve(project.report.period, project, data, baseline=project.report.baseline,
                   where=project.report.period_from)


def score_data(project: Project, table: Table, data: SurveyData, *, window: Window | None = None,
               timings: dict[str, float] | None = None, competitors: list[MetricComparison] | None = None,
               unit: object = None, on_scoring=None) -> Study:
    """Score validated ``data`` (every response of the file, or of one unit in a batch build)
    for ``window`` (resolved from the project when not given).

    The window is applied once (:func:`cxreport.window.apply`) and every section is computed
    from the view: the window's rows, or the pooled run ``report.pool`` asks for. Trends use
    every period up to the window's end. ``competitors`` may be passed in when already
    computed: they come from their own files, so every unit of a batch shares the total's.
    ``unit`` (a :class:`~cxreport.scoring.units.UnitReport`) marks a ``--per`` unit's study;
    its priorities are left out when the unit's base is too small for a driver analysis (the
    whole project's build has already checked that the settings are right). ``on_scoring()``
    is called once the comments' forked process is started (a build starts its chart workers
    then: their pool's threads are never in a process that forks afterwards).
    """
    import time

    from cxreport.window import apply

    clock = time.perf_counter
    timings = {} if timings is None else timings
    t = clock()
    if window is None:
        window = resolve_window(project, data)
    view = apply(window, project, data)
    rules = BaseRules(project.bases.suppress_below, project.bases.flag_below)
    alpha = project.significance.alpha
    # The comments (sentiment, themes, insights) depend only on the window's rows: the whole
    # project's are analysed in a forked process while the scores and the key drivers are
    # computed here (cxreport/beside.py); a --per unit's here, after them.
    if unit is None:
        from cxreport import beside

        comments_beside = beside.start(analyse_comment_column, project, view, rules, alpha)
    else:
        comments_beside = None
    try:
        if on_scoring is not None:
            on_scoring()
        return _score_with(project, table, data, view, window, rules, alpha, timings, competitors, unit,
                           comments_beside, clock, t)
    except BaseException:
        if comments_beside is not None:
            comments_beside.cancel()
        raise


def _score_with(project, table, data, view, window, rules, alpha, timings, competitors, unit, comments_beside,
                clock, t) -> Study:
    """:func:`score_data` once the window is applied and the comments are under way."""
    from cxreport.scoring.survey import compare_period, history

    results = score_survey(view.data, rules, alpha)
    results.periods = history(data, rules, alpha, window.last_key)
    results.period_info = list(data.periods) if results.periods is None else [
        p for p in data.periods if window.last_key is None or p.key <= window.last_key]
    comparisons = []
    for kind, span in window.comparisons:
        found = view.comparison(kind)
        comparisons.append(compare_period(kind, span.label, results.overall, found[1] if found else None,
                                          rules, alpha))
    scopes = {section: view.scope(section) for section in ("drivers", "segments", "journey", "comments")}
    if scopes["segments"].pooled:
        pooled = score_survey(view.section_data("segments", project), rules, alpha)
        results.segments = pooled.segments
    timings["score"] = clock() - t
    t = clock()
    targets = evaluate_targets(project, results, (unit.segment, unit.label) if unit is not None else None)
    benchmarks = compare_standards(project, results)
    tiers = evaluate_tiers(project, results)
    if competitors is None:
        competitors = compare_competitors(project, rules, alpha, window=window)
    timings["benchmark"] = clock() - t
    from cxreport.scoring.keydrivers import key_drivers

    t = clock()
    drivers = key_drivers(project, view.section_data("drivers", project), results=results,
                          scope=scopes["drivers"], window_base=view.data.n, window_label=view.label)
    timings["key drivers"] = clock() - t
    from cxreport.scoring.journey import journey_map

    journey = journey_map(project, view, results, alpha, scopes["journey"])
    from cxreport.scoring.consistency import study_consistency

    consistency = study_consistency(project, view, rules, alpha)
    from cxreport.scoring.mentions import mention_tables

    mentions = mention_tables(view.data, rules)
    t = clock()
    if comments_beside is not None:
        sentiment, voice, suggestions, insights, steps = comments_beside.result()
        timings.update(steps)                               # their own times, beside the scoring
        timings["comments (waited)"] = clock() - t
    else:
        sentiment, voice, suggestions, insights, steps = analyse_comment_column(project, view, rules, alpha)
        timings.update(steps)
    if unit is not None and (drivers is None or drivers.overall is None):
        priorities = []
    else:
        priorities = rank_priorities(project, view.data, drivers, voice, insights)
    from cxreport.scoring.journey_emotion import journey_emotion

    emotion = journey_emotion(project, view, voice, journey, rules, alpha)
    from cxreport.scoring.actions import check_markers, evaluate, load_register

    # The action register describes the whole programme: a --per unit's report leaves it out.
    actions = None
    if unit is None:
        t = clock()
        register = load_register(project)
        check_markers(project, register)
        if register is not None:
            actions = evaluate(project, register, view, rules, alpha, voice, scopes["comments"].label)
            timings["actions"] = clock() - t
    study = Study(project, table, view.data, results, targets, benchmarks, tiers, competitors, drivers, voice,
                  priorities, journey, mentions, timings, view, comparisons, scopes, unit=unit, actions=actions,
                  insights=insights, suggestions=suggestions, emotion=emotion, consistency=consistency)
    # The customer file describes the whole programme's customers: joined for the window's respondents.
    t = clock()
    from cxreport.scoring.value import study_value

    study.value = study_value(study)
    if study.value is not None:
        # The customer file's excluded rows and unmatched respondents: warnings of validate, score and build.
        data.report.inputs[study.value.file] = study.value.warnings
        timings["customer value"] = clock() - t
    from cxreport.benchmark.reconcile import reconcile

    study.sources = reconcile(study)
    from cxreport.load.cases import load_cases_cached
    from cxreport.scoring.response import study_response_times

    # The case log: its excluded rows are warnings of validate, score and build (the file's own lines).
    t = clock()
    log = load_cases_cached(project)
    if log is not None:
        data.report.inputs[log.file] = log.warnings()
    study.response = study_response_times(project, table, view, log, unit)
    if log is not None:
        timings["case log"] = clock() - t
    # The key findings' tests (the units that moved most, the best against the worst attribute):
    # made here, with the scores, so a study read from the cache brings them along.
    from cxreport.present.findings import make_tests

    make_tests(study)
    # The banner tables (the report's appendix, the workbook and the scores JSON share them), tested
    # here too: kept with the study (View's memo).
    from cxreport.scoring.banner import study_banners

    study_banners(study)
    return study


def rank_priorities(project: Project, data: SurveyData, drivers, voice, insights=None) -> list:
    cfg = project.priorities
    if cfg is None:
        return []
    from cxreport.errors import ConfigError
    from cxreport.scoring.priorities import build_priorities
    from cxreport.util import did_you_mean

    if drivers is not None and getattr(drivers, "configured", False) and drivers.overall is None:
        return []       # the driver analysis was skipped (too small a base): the section says why
    if drivers is None or drivers.overall is None:
        raise ConfigError("priorities: needs a key driver analysis (set `drivers:`)")
    names = {s.label for s in data.items if s.kind == "rating"}
    for key in list(cfg.effort) + list(cfg.themes):
        if key not in names:
            raise ConfigError(f"priorities: no attribute '{key}'{did_you_mean(key, names)}")
    scales = {s.label: (s.low, s.high) for s in data.items if s.kind == "rating"}
    labels = {s.key[5:]: s.label for s in data.items if s.key.startswith("attr:")}
    targets = {labels[k]: t.value for k, t in project.targets.attributes.items() if k in labels}
    impact = getattr(insights, "impact", None)
    ranked = build_priorities(drivers.overall, targets, scales, cfg.effort, cfg.themes, voice, impact=impact)
    return ranked


def analyse_comment_column(project: Project, view, rules: BaseRules, alpha: float) -> tuple:
    """The comments of the study: (sentiment by file row, the voice analysis, the comment
    insights, {step: seconds}). Depends only on the window's rows (``view``)."""
    import time

    from cxreport.scoring.voc import comment_insights
    from cxreport.scoring.voc_suggest import study_suggestions

    t = time.perf_counter()
    sentiment = comment_sentiment(project, view)
    voice = analyse_voice(project, view.section_data("comments", project), sentiment)
    steps = {"comments": time.perf_counter() - t}
    t = time.perf_counter()
    suggestions = study_suggestions(project, voice)
    insights = comment_insights(project, view, voice, sentiment, rules, alpha, suggestions)
    steps["comment insights"] = time.perf_counter() - t
    return sentiment, voice, suggestions, insights, steps


def comment_sentiment(project: Project, view) -> "pd.Series | None":
    """Sentiment score of every comment the study needs, by file row, computed once: the
    window's (or the comments section's pooled run's), and with theme trends or emerging themes
    every period's up to the window's end."""
    if project.comments is None or not project.columns.comment:
        return None
    import numpy as np
    import pandas as pd

    from cxreport.cache import sentiment_scores      # each distinct text scored once (docs/cache.md)

    trends = ("theme_trends" in project.report.sections or project.comments.emerging is not False) \
        and view.full.period_codes is not None
    frames = [view.section_data("comments", project).comments]
    if trends:
        full = view.full
        last = view.window.last_key
        keep = np.ones(full.n, dtype=bool)
        if last is not None and full.periods:
            keys = np.array([period.key for period in full.periods])
            codes = np.asarray(full.period_codes)
            keep = (codes >= 0) & (keys[codes.clip(0)] <= last)
        frames.append(full.comments[keep])
    both = pd.concat([f[["row", "text"]] for f in frames]).drop_duplicates("row")
    both = both[both["text"].astype(str).str.len() > 0]
    return pd.Series(sentiment_scores(both["text"].astype(str).tolist()), index=both["row"].to_numpy())


def analyse_voice(project: Project, data: SurveyData, sentiment=None):
    """Sentiment and themes of the comment column, when the project asks for them."""
    if project.comments is None or not project.columns.comment:
        return None
    from cxreport.scoring.comments import analyse_comments

    cfg = project.comments
    segment = comment_segment(project, data)
    segments = {segment.name: [segment.labels[c] for c in segment.codes]} if segment else None
    return analyse_comments(data.comments, cfg.code_frame, segments, cfg.mask_names, cfg.verbatims_per_theme,
                            scores_by_row=sentiment)


def comment_segment(project: Project, data: SurveyData):
    """The segment of the comments' theme × segment table: ``comments.segment``, else the first
    segment of ``data`` with at most 8 groups (None: no such segment)."""
    cfg = project.comments
    if not cfg.segment:
        return next((s for s in data.segments if len(s.labels) <= 8), None)
    segment = next((s for s in data.segments if s.name == cfg.segment), None)
    if segment is None:
        from cxreport.errors import ConfigError
        from cxreport.util import did_you_mean

        raise ConfigError(f"comments.segment: no segment '{cfg.segment}'"
                          f"{multi_punch_hint(data, cfg.segment) or did_you_mean(cfg.segment, [s.name for s in data.segments])}")
    return segment
