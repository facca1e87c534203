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
from cxreport.scoring.survey import SurveyResults, score_survey
from cxreport.validate import SurveyData, ValidationReport, multi_punch_hint, prepare


@dataclass
class Study:
    """Everything computed for one project: the inputs' report and the results."""

    project: Project
    table: Table
    data: SurveyData
    results: SurveyResults
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

    @property
    def validation(self) -> ValidationReport:
        return self.data.report


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


def run(project: Project | str | Path, *, strict: bool = False, allow_outside: bool = False) -> Study:
    timings: dict[str, float] = {}
    if not isinstance(project, Project):
        project = load_project(project, allow_outside=allow_outside)
    table, data = validate_project(project, strict=strict, timings=timings)
    return score_data(project, table, data, timings=timings)


def score_data(project: Project, table: Table, data: SurveyData, *, timings: dict[str, float] | None = None,
               competitors: list[MetricComparison] | None = None, unit: bool = False) -> Study:
    """Score validated ``data`` (the whole file, or one unit's respondents in a batch build).

    ``competitors`` may be passed in when already computed: they come from their own files,
    not from ``data``, so every unit of a batch shares the total's. With ``unit=True`` the
    priorities are left out when the unit's base is too small for a driver analysis (the
    whole project's build has already checked that the settings are right).
    """
    import time

    clock = time.perf_counter
    timings = {} if timings is None else timings
    t = clock()
    rules = BaseRules(project.bases.suppress_below, project.bases.flag_below)
    results = score_survey(data, rules, project.significance.alpha)
    timings["score"] = clock() - t
    t = clock()
    targets = evaluate_targets(project, results)
    benchmarks = compare_standards(project, results)
    tiers = evaluate_tiers(project, results)
    if competitors is None:
        competitors = compare_competitors(project, rules, project.significance.alpha)
    timings["benchmark"] = clock() - t
    t = clock()
    from cxreport.scoring.keydrivers import key_drivers

    drivers = key_drivers(project, data)
    timings["key drivers"] = clock() - t
    t = clock()
    voice = analyse_voice(project, data)
    timings["comments"] = clock() - t
    if unit and (drivers is None or drivers.overall is None):
        priorities = []
    else:
        priorities = rank_priorities(project, data, drivers, voice)
    from cxreport.scoring.journey import journey_map

    journey = journey_map(project, data, results, project.significance.alpha)
    from cxreport.scoring.mentions import mention_tables

    mentions = mention_tables(data, rules)
    return Study(project, table, data, results, targets, benchmarks, tiers, competitors, drivers, voice,
                 priorities, journey, mentions, timings)


def rank_priorities(project: Project, data: SurveyData, drivers, voice) -> list:
    cfg = project.priorities
    if cfg is None:
        return []
    from cxreport.errors import ConfigError
    from cxreport.scoring.priorities import build_priorities
    from cxreport.util import did_you_mean

    if drivers is None or drivers.overall is None:
        raise ConfigError("priorities: needs a key driver analysis (set `drivers:`) with enough base")
    names = {s.label for s in data.items if s.kind == "rating"}
    for key in list(cfg.effort) + list(cfg.themes):
        if key not in names:
            raise ConfigError(f"priorities: no attribute '{key}'{did_you_mean(key, names)}")
    scales = {s.label: (s.low, s.high) for s in data.items if s.kind == "rating"}
    labels = {s.key[5:]: s.label for s in data.items if s.key.startswith("attr:")}
    targets = {labels[k]: t.value for k, t in project.targets.attributes.items() if k in labels}
    ranked = build_priorities(drivers.overall, targets, scales, cfg.effort, cfg.themes, voice)
    return ranked


def analyse_voice(project: Project, data: SurveyData):
    """Sentiment and themes of the comment column, when the project asks for them."""
    if project.comments is None or not project.columns.comment:
        return None
    from cxreport.scoring.comments import analyse_comments
    from cxreport.util import did_you_mean

    cfg = project.comments
    segment = None
    if cfg.segment:
        segment = next((s for s in data.segments if s.name == cfg.segment), None)
        if segment is None:
            from cxreport.errors import ConfigError

            raise ConfigError(f"comments.segment: no segment '{cfg.segment}'"
                              f"{multi_punch_hint(data, cfg.segment) or did_you_mean(cfg.segment, [s.name for s in data.segments])}")
    else:
        segment = next((s for s in data.segments if len(s.labels) <= 8), None)
    segments = {segment.name: [segment.labels[c] for c in segment.codes]} if segment else None
    return analyse_comments(data.comments, cfg.code_frame, segments, cfg.mask_names, cfg.verbatims_per_theme)
