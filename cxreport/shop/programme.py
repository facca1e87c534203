"""The mystery-shopping programme file (``programme.yaml``): schema and loader.

Same conventions as the project file: unknown keys are errors with a "did you mean"
hint, every problem is reported at once with its key path and line, paths are relative
to the file and stay inside its folder. The brand block is the project file's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from cxreport.config.schema import Brand, Client, Model, ProjectFile, ReportLanguage
from cxreport.util import did_you_mean

ItemType = Literal["yes_no", "scale", "multi_check", "numeric", "text"]


class Programme(Model):
    name: str = Field(min_length=1, description="Programme name, shown on every report.")
    client: Client = Field(description="Client name and logo (as in the project file).")
    brand: Brand = Field(default_factory=Brand, description="Colours and font (as in the project file).")
    language: ReportLanguage = Field(
        "en", description="Report language: en (English) or zh-CN (Simplified Chinese; zh is accepted).")
    prepared_by: str | None = Field(None, description="Who runs the programme (agency).")
    confidentiality: str | None = Field(None, description="Confidentiality line in every page footer.")
    mask_names: list[str] = Field(
        default_factory=list,
        description="Names (staff, managers, customers) masked as [name] wherever scoresheets and location "
                    "reports quote a shopper's comments, item comments or evidence notes; e-mails, IBANs, phone, "
                    "card and account numbers and sort codes always are (docs/security.md).")


class Wave(Model):
    id: str = Field(min_length=1, description="Wave id used in scoresheets (e.g. W1).")
    name: str = Field(min_length=1, description="Wave name shown in reports.")
    start: dt.date = Field(description="First day on which visits count for the wave.")
    end: dt.date = Field(description="Last day on which visits count for the wave.")

    @model_validator(mode="after")
    def _order(self) -> Wave:
        if self.end < self.start:
            raise ValueError(f"wave {self.id}: end {self.end} is before start {self.start}")
        return self


class Location(Model):
    id: str = Field(min_length=1, description="Location id used in scoresheets.")
    name: str = Field(min_length=1, description="Location name.")
    region: str = Field("", description="Region.")
    channel: str = Field("", description="Channel type: branch, phone, email, chat, social…")
    manager: str = Field("", description="Location manager (receives the scoresheets).")


class Locations(Model):
    file: ProjectFile | None = Field(
        None, description="CSV with columns location_id, name, region, channel, manager.")
    items: list[Location] = Field(default_factory=list, description="Locations listed in the file itself.")


class Option(Model):
    label: str = Field(min_length=1, description="Answer text as shoppers give it (case-insensitive).")
    points: float = Field(0, ge=0, description="Points earned by this answer.")
    id: str | None = Field(None, description="Short code a scoresheet may use instead of the label.")


class Critical(Model):
    action: Literal["cap", "fail"] = Field(description="cap: a failing answer caps the visit score; fail: it fails the visit.")
    cap: float | None = Field(None, ge=0, le=100, description="The cap in % (action: cap).")

    @model_validator(mode="after")
    def _cap(self) -> Critical:
        if self.action == "cap" and self.cap is None:
            raise ValueError("a critical item with action 'cap' needs cap: <percent>")
        return self


class Item(Model):
    id: str = Field(min_length=1, description="Item id used in scoresheets.")
    text: str = Field(min_length=1, description="The question.")
    type: ItemType = Field(description="yes_no, scale (options with points), multi_check (tick any options), "
                                       "numeric (scored against a threshold) or text (not scored).")
    points: float = Field(1, ge=0, description="yes_no and numeric: points for a pass.")
    options: list[Option] = Field(default_factory=list, description="scale and multi_check: the answer options.")
    threshold: float | None = Field(None, description="numeric: the limit to meet (or give `standard`).")
    direction: Literal["at_most", "at_least"] = Field("at_most", description="numeric: pass when the value is at most / at least the threshold.")
    standard: str | None = Field(None, description="numeric: a service_standards.response_times id giving the threshold.")
    unit: str | None = Field(None, description="numeric: unit shown in reports (seconds, hours…).")
    pass_points: float | None = Field(None, ge=0, description="Points at or above which the answer passes (default: all the item's points).")
    required: bool = Field(True, description="Must be answered (with N/A where allowed).")
    na_allowed: bool = Field(False, description="N/A is a valid answer (scores 0 out of 0).")
    critical: Critical | None = Field(None, description="Knock-out behaviour of a failing answer.")
    bonus: bool = Field(False, description="Points add to earned only, never to possible.")
    comment_required_on_fail: bool = Field(False, description="A failing answer needs the shopper's comment.")
    evidence_required: bool = Field(False, description="The answer needs evidence (a photo, recording or document reference).")
    channels: list[str] = Field(default_factory=list, description="Channels the item applies to (default: all); elsewhere it is not asked.")

    @model_validator(mode="after")
    def _type_rules(self) -> Item:
        if self.type in ("scale", "multi_check") and len(self.options) < 2:
            raise ValueError(f"item {self.id}: a {self.type} item needs at least two options")
        if self.type in ("yes_no", "numeric", "text") and self.options:
            raise ValueError(f"item {self.id}: options are only for scale and multi_check items")
        if self.type == "numeric" and self.threshold is None and self.standard is None:
            raise ValueError(f"item {self.id}: a numeric item needs a threshold or a standard")
        if self.type == "text" and (self.critical or self.bonus):
            raise ValueError(f"item {self.id}: text items are not scored, so cannot be critical or bonus")
        return self

    @property
    def possible(self) -> float:
        """Points possible (0 for bonus and text items)."""
        if self.bonus or self.type == "text":
            return 0.0
        return self.max_points

    @property
    def max_points(self) -> float:
        if self.type == "scale":
            return max(o.points for o in self.options)
        if self.type == "multi_check":
            return sum(o.points for o in self.options)
        if self.type == "text":
            return 0.0
        return self.points

    @property
    def pass_at(self) -> float:
        return self.max_points if self.pass_points is None else self.pass_points


class Section(Model):
    id: str = Field(min_length=1, description="Section id.")
    title: str = Field(min_length=1, description="Section title.")
    weight: float | None = Field(None, gt=0, description="Weight when scoring is section_weighted.")
    items: list[Item] = Field(min_length=1, description="The section's items.")


class Integrity(Model):
    item: str = Field(description="A text item whose correct answer is known for each location.")
    answers: dict[str, str] = Field(default_factory=dict, description="location id → correct answer.")
    file: ProjectFile | None = Field(None, description="CSV with columns location_id, answer.")


class Questionnaire(Model):
    version: str = Field(min_length=1, description="Version label; every submission records the version it was checked with.")
    sections: list[Section] = Field(min_length=1, description="Sections in order.")
    integrity: list[Integrity] = Field(default_factory=list, description="Integrity checks on text items.")

    @model_validator(mode="after")
    def _unique(self) -> Questionnaire:
        seen: set[str] = set()
        for section in self.sections:
            for item in section.items:
                if item.id in seen:
                    raise ValueError(f"item id {item.id} is used twice")
                seen.add(item.id)
        for check in self.integrity:
            if check.item not in seen:
                raise ValueError(f"integrity: no item {check.item}" + did_you_mean(check.item, seen))
        return self

    def items(self) -> list[tuple[Section, Item]]:
        return [(s, i) for s in self.sections for i in s.items]

    def item(self, item_id: str) -> Item:
        for _s, i in self.items():
            if i.id == item_id:
                return i
        raise KeyError(item_id)


class Band(Model):
    name: str = Field(min_length=1, description="Band name.")
    min: float = Field(ge=0, le=100, description="Lowest visit score (%) in the band.")


def _default_bands() -> list[Band]:
    return [Band(name="Excellent", min=90), Band(name="Good", min=80), Band(name="Fair", min=70), Band(name="Poor", min=0)]


class Scoring(Model):
    method: Literal["pooled", "section_weighted"] = Field("pooled", description="pooled: Σ earned / Σ possible; section_weighted: weighted mean of section scores.")
    cap: bool = Field(True, description="Cap visit (and section) scores at 100 % (bonus points can exceed it).")
    pass_mark: float = Field(80, ge=0, le=100, description="Visit score (%) needed to pass.")
    bands: list[Band] = Field(default_factory=_default_bands, description="Score bands, any order; a score takes the band with the highest min it reaches.")

    @field_validator("bands")
    @classmethod
    def _bands(cls, bands: list[Band]) -> list[Band]:
        if bands and min(b.min for b in bands) > 0:
            raise ValueError("the lowest band must start at 0")
        return sorted(bands, key=lambda b: -b.min)


class Tiers(Model):
    basic: float = Field(70, ge=0, le=100, description="Visit score (%) for the basic tier.")
    differentiated: float = Field(85, ge=0, le=100, description="Visit score (%) for the differentiated tier.")
    excellent: float = Field(95, ge=0, le=100, description="Visit score (%) for the excellent tier.")

    @model_validator(mode="after")
    def _order(self) -> Tiers:
        if not self.basic <= self.differentiated <= self.excellent:
            raise ValueError("tiers must rise: basic ≤ differentiated ≤ excellent")
        return self

    def tier(self, score: float | None) -> str | None:
        if score is None:
            return None
        for name in ("excellent", "differentiated", "basic"):
            if score >= getattr(self, name):
                return name
        return None


class ResponseTime(Model):
    channel: str = Field(description="Channel the standard applies to.")
    max: float = Field(gt=0, description="Longest acceptable time.")
    unit: Literal["seconds", "minutes", "hours"] = Field(description="Unit of `max` and of the answers.")
    label: str | None = Field(None, description="How reports name the standard.")


class ServiceStandards(Model):
    tiers: Tiers = Field(default_factory=Tiers, description="Service-standard tiers on the visit score.")
    response_times: dict[str, ResponseTime] = Field(default_factory=dict, description="Channel response-time standards used by numeric items.")


class FollowUp(Model):
    due_days: int = Field(
        30, ge=1, le=365,
        description="Days a follow-up action has, counted from the date of the latest visit that opened it, until "
                    "it is due (change it per action with `shop actions update --due`).")
    consecutive_waves: int = Field(
        2, ge=2, le=12,
        description="An item failed at one location in this many waves in a row opens a follow-up action (an item "
                    "fails at a location in a wave when it fails on more than half of the location's visits there "
                    "that score it).")


class ProgrammeFile(Model):
    """One mystery-shopping programme: waves, locations, the questionnaire and how to score it."""

    programme: Programme = Field(description="Programme, client and brand.")
    waves: list[Wave] = Field(min_length=1, description="Waves in order.")
    locations: Locations = Field(description="The shopped locations: a CSV file or a list.")
    questionnaire: Questionnaire = Field(description="The versioned questionnaire.")
    scoring: Scoring = Field(default_factory=Scoring, description="How visits are scored.")
    service_standards: ServiceStandards = Field(default_factory=ServiceStandards, description="Tiers and response-time standards.")
    follow_up: FollowUp = Field(default_factory=FollowUp, description="Follow-up actions opened by failed critical "
                                "items and repeated failures (docs/mystery-shopping.md).")
    ledger: str = Field("ledger.sqlite", pattern=r"^[A-Za-z0-9._-]+$", description="File name of the ledger database beside the programme file.")

    path: Path | None = Field(None, exclude=True, json_schema_extra={"internal": True})
    location_list: list[Location] = Field(default_factory=list, exclude=True, json_schema_extra={"internal": True})
    integrity_answers: dict[str, dict[str, str]] = Field(default_factory=dict, exclude=True,
                                                         json_schema_extra={"internal": True})

    def cross_reference_problems(self) -> list[tuple[tuple[Any, ...], str]]:
        problems: list[tuple[tuple[Any, ...], str]] = []
        ids = [w.id for w in self.waves]
        if len(set(ids)) != len(ids):
            problems.append((("waves",), "wave ids must be unique"))
        for s_index, section in enumerate(self.questionnaire.sections):
            for i_index, item in enumerate(section.items):
                if item.standard and item.standard not in self.service_standards.response_times:
                    problems.append((("questionnaire", "sections", s_index, "items", i_index, "standard"),
                                     f"no service_standards.response_times.{item.standard}"
                                     + did_you_mean(item.standard, self.service_standards.response_times)))
        if self.scoring.method == "section_weighted":
            for s_index, section in enumerate(self.questionnaire.sections):
                if section.weight is None:
                    problems.append((("questionnaire", "sections", s_index, "weight"),
                                     "section_weighted scoring needs a weight on every section"))
        return problems

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def ledger_path(self) -> Path:
        return self.base_dir / self.ledger

    def wave(self, wave_id: str):
        return next((w for w in self.waves if w.id == wave_id), None)

    def threshold(self, item: Item) -> tuple[float, str]:
        """(threshold, direction) of a numeric item, from the item or its standard."""
        if item.threshold is not None:
            return item.threshold, item.direction
        return self.service_standards.response_times[item.standard].max, "at_most"  # type: ignore[index]
