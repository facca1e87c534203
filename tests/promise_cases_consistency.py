"""Hostile projects and reasons for multichannel consistency (cxreport/scoring/consistency.py),
registered by tests/test_validate_promise.py."""

from __future__ import annotations

F = "cxreport/scoring/consistency.py:"

_STEP = ("the study step (study_consistency) checks consistency.channels first: an unknown or repeated channel "
         "stops it with the key's place (the consistency.channels cases), and it only passes channels that occur "
         "in the rows it scores")
_VALIDATED = ("the study steps pass the validated data's own arrays: one value per row, NaN or a point inside the "
              "item's scale (validate excludes invalid values), and the study's weights (finite, ≥ 0: checked when "
              "the survey is read)")


def register(ns):
    Case = ns.Case
    cases = {
        F + "_consistency_items:consistency.kpis[{}]: no KPI '{}'{}; choose from {": Case(
            {"consistency": {"segment": "Region", "kpis": ["nps", "cstat"]}},
            "consistency.kpis[1]: no KPI 'cstat' (did you mean 'csat'?)"),
        F + "_consistency_items:consistency.kpis[{}]: '{}' is listed twice": Case(
            {"consistency": {"segment": "Region", "kpis": ["nps", "csat", "nps"]}},
            "consistency.kpis[2]: 'nps' is listed twice"),
        F + "_consistency_items:consistency.kpis: this project has no headline KPI": Case(
            {"columns": {"nps": None, "csat": None, "ces": None}, "consistency": {"segment": "Region"}},
            "consistency.kpis: this project has no headline KPIs (nps, csat, ces or acsi)"),
        F + "_channel_order:consistency.channels[{}]: no channel '{}' in segme": Case(
            {"consistency": {"segment": "Region", "channels": ["North", "Soutth"]}},
            "consistency.channels[1]: no channel 'Soutth' in segment 'Region' (did you mean 'South'?)"),
        F + "_channel_order:consistency.channels[{}]: '{}' is listed twice": Case(
            {"consistency": {"segment": "Region", "channels": ["South", "North", "South"]}},
            "consistency.channels[2]: 'South' is listed twice"),
    }
    unreachable = {
        F + "group_codes:{} order: '{}' is listed twice": _STEP,
        F + "group_codes:{} '{}' has no rows (found: {})": _STEP,
        F + "_weights:weights: {} values for {} {}": _VALIDATED,
        F + "_weights:weights: every weight must be a number ≥ 0": _VALIDATED,
        F + "_values:{}: the values must be numbers (NaN for no valid a": _VALIDATED,
        F + "_values:{}: {} values for {} rows": _VALIDATED,
        F + "_values:{}: value {} is outside the scale {}–{}": _VALIDATED,
        F + "_values:{}: value {} is not a point of the {}–{} scale": _VALIDATED,
        F + "consistency_index:consistency index: needs the figures of at least t": (
            "_kpi calls it only with two shown channels or more"),
        F + "consistency_index:consistency index: the scale's span must be a posi": (
            "_kpi calls it only for a finite, positive span (an unbounded numeric attribute gets no index)"),
        F + "consistency_index:consistency index: one weight ≥ 0 per figure, not ": (
            "_kpi passes one weighted base (≥ 0) per shown channel, or equal weights when they sum to 0"),
        F + "_check_settings:alpha: must be between 0 and 1, not {}": (
            "the study step passes the project's alpha, which the schema keeps between 0 and 1"),
        F + "_check_settings:adjust: '{}' is not one of {}": (
            "the study step passes significance.adjust, a choice the schema checks"),
        F + "_check_settings:family: '{}' is not one of {}": "the study step always passes family='table'",
        F + "_check_settings:weighting: '{}' is not one of {}": (
            "the study step passes consistency.weighting, a choice the schema checks (customers or equal)"),
        F + "consistency_table:consistency: no KPI to compare": (
            "the study step raises first when the project has no KPI to compare (consistency.kpis case)"),
        F + "consistency_table:consistency: KPI '{}' is listed twice": (
            "the study step refuses a KPI listed twice in consistency.kpis first (its own case)"),
    }
    return cases, unreachable
