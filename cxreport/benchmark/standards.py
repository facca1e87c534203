"""The standards library: published benchmarks and a project's own standards.

A standard is a named value with a metric, a scale, a year, a source and a credit line
(METHODS.md §6). The package ships ``cxreport/standards/default.yaml``; a project adds
its own YAML or CSV files, and an entry with the same id replaces the shipped one.
Scales are never compared silently: a KPI is compared with a standard only when both
are on the same metric, or when the project gives an explicit conversion.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cxreport.errors import ConfigError
from cxreport.i18n import N_, _

Metric = Literal["nps", "csat_top2", "csat_mean", "ces_mean", "ces_index", "acsi", "rating_mean", "score_pct"]

#: The range of each metric (for checks and charts).
METRIC_SCALES: dict[str, tuple[float, float]] = {
    "nps": (-100, 100), "ces_index": (-100, 100), "acsi": (0, 100), "csat_top2": (0, 100), "score_pct": (0, 100),
}

METRIC_LABELS = {
    "nps": "NPS (−100 to +100)", "csat_top2": "CSAT top-2-box %", "csat_mean": "CSAT mean",
    "ces_mean": "CES mean (1–7)", "ces_index": "CES index", "acsi": "ACSI index (0–100)",
    "rating_mean": "mean rating", "score_pct": "score %",
}

#: The industries and regions of the shipped library, as the catalog knows them (the slug is
#: the English wording, so English reports print them as before); a project's own
#: standards print theirs as written.
INDUSTRIES = (
    # Translators: industries of the published-benchmarks library (lowercase slugs, shown in a table cell).
    N_("airlines"), N_("all-industries"), N_("ambulatory-care"), N_("apparel"), N_("athletic-shoes"), N_("autos"),
    N_("banks"), N_("breweries"), N_("car-rental"), N_("cell-phones"), N_("co-op-utilities"),
    N_("computer-software"), N_("consumer-payments"), N_("consumer-shipping"), N_("credit-unions"),
    N_("department-discount-stores"), N_("fast-food"), N_("financial-advisors"), N_("fixed-line-telephone"),
    N_("food-manufacturing"), N_("gas-stations"), N_("grocery"), N_("health-insurance"),
    N_("health-personal-care-stores"), N_("hospitals"), N_("hotels"), N_("household-appliances"),
    N_("internet-investment-services"), N_("internet-news"), N_("internet-retail"), N_("internet-search-engines"),
    N_("isps"), N_("restaurants-full-service"), N_("retail"), N_("streaming"), N_("subscription-tv"),
    N_("tv-internet-providers"), N_("video-streaming"), N_("wireless"),
)
# Translators: regions of the published-benchmarks library.
REGIONS = (N_("US"), N_("global"))


def place_words(standard: "Standard") -> tuple[str, str]:
    """A standard's industry and region in the report's language (library words translated)."""
    industry = _(standard.industry) if standard.industry in INDUSTRIES else standard.industry
    region = _(standard.region) if standard.region in REGIONS else standard.region
    return industry, region


class Standard(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    metric: Metric
    scale: str
    value: float
    year: int = Field(ge=1900, le=2100)
    period: str | None = None
    source: str = Field(min_length=1)
    credit: str = Field(min_length=1)
    industry: str = ""
    region: str = ""
    url: str | None = None
    notes: str | None = None
    origin: str = "cxreport default library"

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("value must be a number")
        return v

    def check_range(self) -> str | None:
        low, high = METRIC_SCALES.get(self.metric, (float("-inf"), float("inf")))
        if not low <= self.value <= high:
            return f"{self.id}: value {self.value:g} is outside the {self.metric} scale {low:g} to {high:g}"
        return None

    @property
    def label(self) -> str:
        return f"{self.source} ({self.period or self.year})"


def default_library_path() -> Path:
    return Path(__file__).resolve().parents[1] / "standards" / "default.yaml"


def _parse(path: Path, origin: str) -> list[Standard]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot read standards file: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        entries = [{k.strip(): v.strip() for k, v in row.items() if k and v is not None and v.strip() != ""}
                   for row in rows]
        where = [f"row {i + 2}" for i in range(len(entries))]
    else:
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f", line {mark.line + 1}" if mark else ""
            raise ConfigError(f"{path.name}{at}: invalid YAML in standards file") from None
        entries = data.get("standards") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ConfigError(f"{path.name}: a standards file has a `standards:` list")
        where = [f"standards[{i}]" for i in range(len(entries))]
    out, problems = [], []
    for entry, at in zip(entries, where):
        try:
            std = Standard.model_validate({**entry, "origin": origin} if isinstance(entry, dict) else entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"])
            problems.append(f"{path.name} {at}: {key}: {first['msg']}")
            continue
        bad = std.check_range()
        if bad:
            problems.append(f"{path.name} {at}: {bad}")
            continue
        out.append(std)
    if problems:
        raise ConfigError(f"{path.name}: {len(problems)} invalid standard(s)", problems)
    ids = [s.id for s in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{path.name}: duplicate standard id(s): {', '.join(dupes)}")
    return out


@dataclass
class Library:
    standards: dict[str, Standard]

    def get(self, standard_id: str) -> Standard:
        try:
            return self.standards[standard_id]
        except KeyError:
            from cxreport.util import did_you_mean

            raise ConfigError(f"no standard '{standard_id}'{did_you_mean(standard_id, self.standards)} "
                              "(see `cxreport standards list`)") from None

    def select(self, metric: str | None = None, industry: str | None = None) -> list[Standard]:
        items = list(self.standards.values())
        if metric:
            items = [s for s in items if s.metric == metric]
        if industry:
            needle = industry.lower()
            items = [s for s in items if needle in s.industry.lower()]
        return sorted(items, key=lambda s: (s.metric, s.industry, -s.year, s.id))


def load_library(extra_files: list[Path] | None = None) -> Library:
    """The default library, then each project file in order (same id = override)."""
    standards = {s.id: s for s in _parse(default_library_path(), "cxreport default library")}
    for path in extra_files or []:
        for std in _parse(Path(path), f"project file {Path(path).name}"):
            standards[std.id] = std
    return Library(standards)
