"""The standards library: published benchmarks and a project's own standards.

A standard is a named value with a metric, a scale, a year, a source and a credit line
(METHODS.md §6). Its ``source`` is the citation without the year (publisher and title, each
once, as the publisher writes them); :func:`citation` adds the year, or "undated", in the
report's language, and leaves the year out when the title already names it.

A standard belongs to a market: an industry (``all-industries`` for a cross-industry
figure) and a region (a country, or ``global``). Compared for a client
(:meth:`Standard.for_client`), a standard from another industry or country, or from one the
project does not confirm as the client's, is named with its industry and country and marked
"for orientation only" (:func:`market_mismatch`, :func:`place_words`). The package ships ``cxreport/standards/default.yaml``; a project adds
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
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, ValidationInfo, field_validator

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

#: The industry and region of a standard that is not tied to one industry or one country.
ALL_INDUSTRIES, GLOBAL = "all-industries", "global"
#: ``period`` of a figure its publisher gives no date for (``year`` is then the year it was checked).
UNDATED = "undated"
_UNDATED_WORDS = {"undated", "no date", "n.d.", "n. d.", "not dated"}

#: How an English report writes the library's industry slugs (other languages: the catalog).
_ENGLISH_INDUSTRY = {"isps": "internet service providers", "tv-internet-providers": "TV and internet providers",
                     "co-op-utilities": "co-op utilities"}

#: The note beside a standard from another market, by what differs (None: the client's market is not known).
_ORIENTATION = {
    # Translators: after a published benchmark's country, in a table cell ("grocery, US (another industry …)").
    frozenset({"industry", "country"}): N_("%(region)s (another industry and country: for orientation only)"),
    frozenset({"industry"}): N_("%(region)s (another industry: for orientation only)"),
    frozenset({"country"}): N_("%(region)s (another country: for orientation only)"),
    None: N_("%(region)s (for orientation only)"),
}


def _norm(text: str | None) -> str:
    return " ".join((text or "").lower().replace("_", "-").split())


def market_mismatch(standard: "Standard", industry: str | None, country: str | None) -> set[str] | None:
    """What differs between a standard's market and the client's: a set of ``"industry"`` and
    ``"country"``; empty when the standard is the client's market or a general reference (all
    industries, worldwide); None when it cannot be told because the project does not give the
    client's industry or country for a standard tied to one.

    Industries compare as library slugs (``banks``), countries as written in ``region``
    (``UK``, ``US``, ``CN``), both ignoring case."""
    differs, unknown = set(), False
    own_industry, own_region = _norm(standard.industry), _norm(standard.region)
    if own_industry and own_industry != ALL_INDUSTRIES:
        if industry is None:
            unknown = True
        elif _norm(industry) != own_industry:
            differs.add("industry")
    if own_region and own_region != GLOBAL:
        if country is None:
            unknown = True
        elif _norm(country) != own_region:
            differs.add("country")
    if differs:
        return differs
    return None if unknown else set()


def place_words(standard: "Standard") -> tuple[str, str]:
    """A standard's industry and region in the report's language (library words translated).
    A standard compared for a client (:meth:`Standard.for_client`) from another market, or
    one the client's market is not known for, carries the note on its region: "US (another
    industry and country: for orientation only)"."""
    if standard.industry in INDUSTRIES:
        industry = _(standard.industry)
        if industry == standard.industry:          # English: the slug as words
            industry = _ENGLISH_INDUSTRY.get(industry, industry.replace("-", " "))
    else:
        industry = standard.industry
    region = _(standard.region) if standard.region in REGIONS else standard.region
    mismatch = standard.mismatch
    if mismatch != set() and standard.compared_for_client and (standard.industry or standard.region):
        region = _(_ORIENTATION[frozenset(mismatch) if mismatch else None]) % {"region": region or "—"}
    return industry, region


def citation(standard: "Standard") -> str:
    """"Source, year" in the report's language, each once: the source as published (a citation
    stays in the publisher's language), then the year, the period, or "undated" — the year left
    out when the source's title already names it."""
    source = standard.source
    if standard.period == UNDATED:
        return _("%(source)s, undated") % {"source": source}
    period = standard.period or str(standard.year)
    if period in source:
        return source
    if standard.period:
        return _("%(source)s, %(period)s") % {"source": source, "period": period}
    return _("%(source)s, %(year)s") % {"source": source, "year": standard.year}


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
    #: The client's industry and country this standard is compared for (set by for_client).
    _client: tuple[str | None, str | None] | None = PrivateAttr(None)

    @field_validator("period")
    @classmethod
    def _period(cls, v: str | None, info: ValidationInfo) -> str | None:
        """``undated`` (also "n.d.", "no date", "undated (…)") is the one word for a figure
        without a date; a period that is just the year is no period."""
        if v is None or not v.strip():
            return None
        if any(_norm(v).startswith(word) for word in _UNDATED_WORDS):
            return UNDATED
        return None if v.strip() == str(info.data.get("year")) else v

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
        """The citation in English (messages and listings); reports use :func:`citation`."""
        if self.period == UNDATED:
            return f"{self.source}, undated"
        period = self.period or str(self.year)
        return self.source if period in self.source else f"{self.source}, {period}"

    def for_client(self, industry: str | None, country: str | None) -> "Standard":
        """A copy of this standard compared for a client in ``industry`` and ``country``
        (None: not given), which :func:`place_words` labels when the markets differ."""
        copy = self.model_copy()
        copy._client = (industry, country)
        return copy

    @property
    def compared_for_client(self) -> bool:
        return self._client is not None

    @property
    def mismatch(self) -> set[str] | None:
        """:func:`market_mismatch` against the client it is compared for (unknown client: None)."""
        industry, country = self._client if self._client is not None else (None, None)
        return market_mismatch(self, industry, country)


def default_library_path() -> Path:
    return Path(__file__).resolve().parents[1] / "standards" / "default.yaml"


def _load_yaml(text: str, path: Path):
    """``yaml.safe_load(text)``; the library shipped with cxreport (about 1,000 lines, a tenth of a
    second in PyYAML's Python parser) is parsed by libyaml's C parser when PyYAML has it, which gives
    the same data for it (tests/test_step_speed_equivalence.py); a project's own file, and any text
    the C parser refuses, by ``safe_load`` (so its messages are unchanged)."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None and path.resolve() == default_library_path():
        try:
            return yaml.load(text, Loader=loader)  # noqa: S506 - the safe loader, in C
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


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
            data = _load_yaml(text, path) or {}
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
