"""The project file schema (``cxreport.yaml``), as pydantic v2 models.

Every model forbids unknown keys, so a misspelt key is reported (with a "did you mean"
hint added by the loader) instead of being silently ignored. Paths are resolved relative
to the project file and must stay inside the project folder; the loader passes the
folder in the validation context.

Each field's ``description`` is the reference documentation of the setting.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cxreport import i18n as _i18n
from cxreport.config.paths import resolve_in_project
from cxreport.images import check_image
from cxreport.load.kinds import FORMATS, format_problem
from cxreport.util import did_you_mean

#: Font families a report can use. They are installed by the set-up (Debian packages
#: fonts-lato, fonts-open-sans, fonts-noto-core, fonts-roboto-unhinted,
#: fonts-dejavu-core, fonts-liberation2) and known to render in HTML, PDF and charts.
SUPPORTED_FONTS = ("Lato", "Open Sans", "Noto Sans", "Roboto", "DejaVu Sans", "Liberation Sans")

#: Report languages (cxreport.i18n has their catalogs). Aliases such as ``zh`` are accepted
#: and stored as the canonical code, which is also the report's ``<html lang>``.
LANGUAGES = tuple(_i18n.LANGUAGES)


def _language_alias(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return _i18n.normalise(value)
        except ValueError:
            return value        # the Literal check reports it with the choices
    return value


ReportLanguage = Annotated[Literal[LANGUAGES], BeforeValidator(_language_alias)]  # type: ignore[valid-type]

#: Sections that may pool more periods than the reporting window (``report.pool``).
POOLABLE = ("drivers", "segments", "journey", "comments")

#: Report sections, in the order they appear.
SECTIONS = (
    "executive_summary",
    "scorecard",
    "nps_distribution",
    "trend",
    "segments",
    "attributes",
    "drivers",
    "journey",
    "benchmarks",
    "competitors",
    "comments",
    "theme_impact",
    "theme_trends",
    "consistency",
    "customer_value",
    "response_times",
    "priorities",
    "actions",
    "you_said_we_did",
    "recommendations",
    "methodology",
    "suggested_themes",
    "appendix",
)

def normalise_word(text: str) -> str:
    """A word-scale answer as compared: any case, runs of spaces as one, no spaces at the ends."""
    return " ".join(str(text).split()).casefold()


_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _hex_colour(value: str) -> str:
    if not isinstance(value, str) or not _HEX.match(value.strip()):
        raise ValueError(f"'{value}' is not a hex colour like #0B3C5D")
    value = value.strip().upper()
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value


HexColour = Annotated[str, AfterValidator(_hex_colour)]


def _project_file(value: Any, info: ValidationInfo) -> Path:
    return resolve_in_project(value, info.context, what="file")


def _logo_file(value: Any, info: ValidationInfo) -> Path:
    path = resolve_in_project(value, info.context, what="logo file")
    check_image(path)
    return path


def _project_folder(value: Any, info: ValidationInfo) -> Path:
    return resolve_in_project(value, info.context, what="folder", directory=True)


ProjectFile = Annotated[Path, AfterValidator(_project_file)]


def _survey_path(value: Any, info: ValidationInfo) -> Path:
    """A survey file, or a folder of Parquet files (partitions) read in batches (docs/batch.md)."""
    path = resolve_in_project(value, info.context, what="file", must_exist=False)
    if path.is_dir() and any(p.is_file() for p in path.rglob("*.parquet")):
        return path
    return resolve_in_project(value, info.context, what="file")


SurveyPath = Annotated[Path, AfterValidator(_survey_path)]
ProjectFolder = Annotated[Path, AfterValidator(_project_folder)]
LogoFile = Annotated[Path, AfterValidator(_logo_file)]


def _deck_template_file(value: Any, info: ValidationInfo) -> Path:
    path = resolve_in_project(value, info.context, what="deck template")
    if path.suffix.lower() != ".pptx":
        raise ValueError(f"{path.name}: the deck template must be a PowerPoint .pptx file")
    import zipfile

    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path.name}: not a valid PowerPoint .pptx file")
    return path


DeckTemplateFile = Annotated[Path, AfterValidator(_deck_template_file)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------------------- brand


class Client(Model):
    name: str = Field(min_length=1, description="Client name, shown on the cover and in the running header.")
    logo: LogoFile | None = Field(None, description="Logo image (PNG, JPEG or SVG), relative to the project file.")
    industry: str | None = Field(
        None, min_length=1, max_length=60,
        description="The client's industry as the standards library names it (e.g. banks, retail; "
                    "`cxreport standards list`): a published benchmark from another industry is then labelled so.")
    country: str | None = Field(
        None, min_length=1, max_length=60,
        description="The client's country as the standards library writes it (e.g. UK, US, CN): a published "
                    "benchmark from another country is then labelled so.")


class Brand(Model):
    primary: HexColour = Field("#1F3A5F", description="Primary colour (hex): headings, table headers, cover, charts.")
    accent: HexColour = Field("#E07A1F", description="Accent colour (hex): highlights and the second chart series.")
    font: Literal[SUPPORTED_FONTS] = Field(  # type: ignore[valid-type]
        "Lato", description=f"Font family, one of: {', '.join(SUPPORTED_FONTS)}.")


# --------------------------------------------------------------------------- survey


class Survey(Model):
    file: SurveyPath = Field(
        description="Survey data file: CSV, Excel (.xlsx), SPSS (.sav) or Parquet, read by its extension "
                    "(see docs/inputs.md); or a folder of Parquet files (partitions), scored streamed "
                    "(docs/batch.md).")
    format: Literal[FORMATS] = Field(  # type: ignore[valid-type]
        "auto",
        description="How to read the file: auto (by extension; Qualtrics and SurveyMonkey exports are recognised), "
                    "csv or excel (one header row, nothing detected), qualtrics, surveymonkey, spss or parquet.")
    encoding: str = Field(
        "auto",
        description="Text encoding of a CSV file: 'auto' (UTF-8 with or without BOM, UTF-16 with a BOM or "
                    "mostly Latin text) or a codec name such as cp1252 or gb18030.")
    sheet: str | int | None = Field(None, description="Worksheet name or 0-based index for XLSX files (default: the first).")
    header_row: int = Field(
        1, ge=1, le=1000,
        description="Row holding the column names in a CSV file or worksheet (1 = the first); rows above it, "
                    "such as a title, are skipped. Row numbers in messages stay the file's own.")
    meta: ProjectFile | None = Field(
        None, description="A Quantipy .meta.json beside the data: question texts and value labels of its columns.")

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        if value.lower() == "auto":
            return "auto"
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding '{value}'") from None
        return value

    @model_validator(mode="after")
    def _format(self) -> Survey:
        problem = format_problem(self.file, self.format, self.header_row, self.encoding, self.sheet)
        if problem:
            raise ValueError(problem)
        if self.meta is not None and self.meta.suffix.lower() != ".json":
            raise ValueError(f"meta must be a Quantipy .meta.json file, not '{self.meta.name}'")
        return self


Code = float | int


class Item(Model):
    column: str = Field(min_length=1, description="Column holding the answers.")
    label: str | None = Field(None, description="Label used in the report (default: the KPI's name).")
    na_codes: list[Code] = Field(
        default_factory=list,
        description="Codes meaning 'not applicable' for this item: removed from its base and reported as N/A.")


class NPSItem(Item):
    pass


def _has_letter(value: Any) -> bool:
    return isinstance(value, str) and any(c.isalpha() for c in value)


def _fixed_scale(value: Any, allowed: tuple[int, ...]) -> Any:
    """A scale top from ``allowed``, or the name of a word scale in ``scales:``."""
    if _has_letter(value):
        return value.strip()
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value not in allowed:
        choices = " or ".join(str(a) for a in allowed)
        raise ValueError(f"scale must be {choices}, or the name of a word scale in scales: (got {value!r})")
    return value


class CSATItem(Item):
    scale: Literal[5, 10] | str = Field(
        5, description="Top of the scale: 5 (1–5) or 10 (1–10); or the name of a word scale in `scales:` "
                       "whose numbers run 1–5 or 1–10. Top-2-box is 4–5 or 9–10.")
    reverse: bool = Field(
        False, description="True when the item is worded the other way round (1 = very satisfied): answers are "
                           "reflected (low + high − x) before anything else.")

    @field_validator("scale", mode="before")
    @classmethod
    def _scale(cls, value: Any) -> Any:
        return _fixed_scale(value, (5, 10))


class CESItem(Item):
    scale: Literal[7] | str = Field(
        7, description="CES 2.0 is asked on 1–7; or the name of a word scale in `scales:` whose numbers run 1–7.")

    @field_validator("scale", mode="before")
    @classmethod
    def _scale(cls, value: Any) -> Any:
        return _fixed_scale(value, (7,))
    reverse: bool = Field(False, description="True when 1 means 'very easy': answers are reflected (8 − x) first.")
    headline: Literal["mean", "index"] = Field(
        "mean", description="Headline CES figure: the mean (1–7) or the CES index (% 6–7 − % 1–3).")


def _scale_pair(value: Any) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (1, value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*[-–]\s*\d+\s*", value):
        low, high = re.split(r"[-–]", value.strip(), maxsplit=1)
        return (int(low), int(high))
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (int(value[0]), int(value[1]))
    raise ValueError(f"scale must be a top value (5), a range '1-5' or a pair [1, 5], not {value!r}")


def _check_scale(value: tuple[int, int]) -> tuple[int, int]:
    low, high = value
    if high - low < 1:
        raise ValueError(f"scale {low}-{high} must go from a lower to a higher number")
    return value


class Attribute(Item):
    type: Literal["rating", "numeric"] = Field(
        "rating",
        description="rating: answers are points of the scale (whole numbers; mean and top-2-box). numeric: any "
                    "number, decimals allowed (a 0–100 score, an amount of money, minutes), between the optional "
                    "`min` and `max`; reported as a mean with its interval, no top-2-box.")
    scale: tuple[int, int] | str = Field(
        (1, 5),
        description="Rating scale: '1-5', '1-10', '0-10' or [low, high]; or the name of a word scale in `scales:` "
                    "(answers in words, the scale running from its lowest to its highest number). "
                    "Top-2-box is the top two points. Not for a numeric item (it has `min` and `max`).")
    min: float | None = Field(
        None, description="A numeric item's lowest valid answer (default: no bound; charts use the answers' range).")
    max: float | None = Field(
        None, description="A numeric item's highest valid answer (default: no bound).")
    reverse: bool = Field(
        False, description="True for a negatively worded item (agreeing is bad): answers are reflected "
                           "(low + high − x, e.g. 6 − x on 1–5) before anything else, so the mean, top-2-box, "
                           "drivers and Cronbach's α see the recoded values. A numeric item needs min and max.")

    @field_validator("scale", mode="before")
    @classmethod
    def _parse_scale(cls, value: Any) -> tuple[int, int] | str:
        if _has_letter(value):
            return value.strip()
        return _check_scale(_scale_pair(value))

    @model_validator(mode="after")
    def _numeric_bounds(self) -> Attribute:
        if self.type == "numeric":
            if "scale" in self.model_fields_set:
                raise ValueError("a numeric item has no rating scale: give its bounds as min and max instead of scale")
            if self.min is not None and self.max is not None and self.max <= self.min:
                raise ValueError(f"max ({self.max:g}) must be above min ({self.min:g})")
            if self.reverse and (self.min is None or self.max is None):
                raise ValueError("reverse on a numeric item needs both min and max (the ends it is reflected "
                                 "between); a numeric item without bounds cannot be reversed")
        elif self.min is not None or self.max is not None:
            raise ValueError("min and max are the bounds of a numeric item (type: numeric); a rating item has a scale")
        return self

    @property
    def numeric(self) -> bool:
        return self.type == "numeric"


#: The three items of the ACSI-style index, in METHODS.md §1's order.
ACSI_ITEMS = ("overall satisfaction", "met expectations", "close to ideal")


class ACSIItem(Model):
    items: list[str] = Field(
        description="The three columns of the index, in this order: overall satisfaction, met expectations, "
                    "close to ideal (each a 10-point item, METHODS.md §1).")
    weights: list[float] = Field(
        default_factory=lambda: [1 / 3, 1 / 3, 1 / 3],
        description="Weights of the three items, summing to 1 (default equal: 100 · (X̄₁ + X̄₂ + X̄₃ − 3) / 27). The "
                    "official ACSI weights come from a PLS model per company and are not public, so the report "
                    "always calls the result 'ACSI-style'.")
    scale: tuple[int, int] = Field(
        (1, 10), description="Scale of the three items (default 1-10; each answer is rescaled (x − low)/(high − low)).")
    label: str | None = Field(None, description="Label used in the report (default: 'ACSI-style index').")
    na_codes: list[Code] = Field(default_factory=list, description="Codes meaning 'not applicable' in the three items.")

    @field_validator("scale", mode="before")
    @classmethod
    def _parse_scale(cls, value: Any) -> tuple[int, int]:
        return _check_scale(_scale_pair(value))

    @field_validator("items")
    @classmethod
    def _three(cls, value: list[str]) -> list[str]:
        if len(value) != 3:
            raise ValueError(f"the index needs three items ({', '.join(ACSI_ITEMS)}); {len(value)} given")
        if any(not v.strip() for v in value):
            raise ValueError("an item of the index is blank")
        if len(set(value)) != 3:
            raise ValueError("the three items of the index must be three different columns")
        return value

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: list[float]) -> list[float]:
        if len(value) != 3:
            raise ValueError(f"give three weights, one per item; {len(value)} given")
        if any(not math.isfinite(w) or w <= 0 for w in value):
            raise ValueError("every weight must be a positive number")
        if abs(sum(value) - 1) > 1e-3:
            raise ValueError(f"the weights must sum to 1 (they sum to {sum(value):g})")
        return value


class MultiPunch(Model):
    column: str = Field(min_length=1, description="Column holding the codes ticked, e.g. '1;3;5;'.")
    codes: dict[int, str] = Field(
        default_factory=dict,
        description="Code → label. Default: the file's value labels for the column (SPSS, or survey.meta); "
                    "without either, the codes found are shown as they are.")
    separator: str = Field(";", min_length=1, max_length=3, description="What separates the codes in a cell.")
    label: str | None = Field(None, description="The question, shown above the mentions table (default: the file's question text).")
    segment: bool = Field(True, description="Break the results down by each code: respondents who ticked it (groups overlap).")
    mentions: bool = Field(True, description="Show a mentions table (respondents ticking each code, % of those who answered) with the customer comments.")

    @field_validator("codes", mode="before")
    @classmethod
    def _code_list(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                    for k, v in value.items()}
        return value


class Columns(Model):
    respondent_id: str | None = Field(None, description="Respondent id column; duplicates are reported and later copies excluded.")
    date: str | None = Field(None, description="Response date column; periods are derived from it.")
    date_format: str | None = Field(
        None, description="strftime format of the date column, e.g. '%d/%m/%Y %H:%M' (default: read from the column: "
                          "ISO dates, numeric dates in the order of `dayfirst` or of the column, dates with month names).")
    dayfirst: bool | None = Field(
        None, description="Read numeric dates such as 03/04/2026 day first (true: 3 April) or month first (false: "
                          "4 March). Default: the column decides — a value that reads only one way (13/04/2026) "
                          "sets the order for every value; a column with values of both kinds is an error, and so "
                          "is one whose every date reads both ways (then set this or `date_format`).")
    weight: str | None = Field(None, description="Weight column; when set every figure is weighted and intervals use Kish effective n.")
    comment: str | None = Field(None, description="Free-text comment column.")
    nps: NPSItem | None = Field(None, description="The 0–10 likelihood-to-recommend item.")
    csat: CSATItem | None = Field(None, description="The overall satisfaction item.")
    ces: CESItem | None = Field(None, description="The customer effort item (CES 2.0, 1–7).")
    acsi: ACSIItem | None = Field(
        None, description="The ACSI-style satisfaction index (0–100) from three 10-point items: {items: [satisfaction, "
                          "expectations, ideal], weights, scale} or just the list of three columns. A KPI like NPS: "
                          "targets, benchmarks (metric acsi), trends, segments, tiers and competitors.")
    attributes: dict[str, Attribute] = Field(
        default_factory=dict,
        description="Attribute ratings: report name → {column, scale, na_codes} (or just the column name for a 1–5 item); "
                    "or a list of columns, each named by the file's question text where it has one.")
    segments: dict[str, str] = Field(
        default_factory=dict,
        description="Segment columns for breakdowns: report name → column (or a list of column names).")
    segment_order: dict[str, list[str]] = Field(
        default_factory=dict,
        description="The order of a segment's groups where the natural order (numbers by value, letters "
                    "alphabetically, Chinese by pinyin) is not the meaningful one, such as tiers or age bands: "
                    "segment name → its values in order. Groups it does not name follow in natural order.")
    multi_punch: dict[str, MultiPunch] = Field(
        default_factory=dict,
        description="Multi-punch (tick all that apply) questions: name → {column, codes, …} (or just the column). "
                    "Each code becomes a 0/1 indicator, used as a segment and in a mentions table.")

    @field_validator("nps", "csat", "ces", mode="before")
    @classmethod
    def _item_shorthand(cls, value: Any) -> Any:
        return {"column": value} if isinstance(value, str) else value

    @field_validator("acsi", mode="before")
    @classmethod
    def _acsi_shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("the index needs three items (a list of three columns, or {items: [...]})")
        return {"items": value} if isinstance(value, list) else value

    @field_validator("attributes", mode="before")
    @classmethod
    def _attribute_shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise ValueError("attributes must be a list of column names or a mapping name → column")
            if len(set(value)) != len(value):
                raise ValueError("a column is listed twice")
            return {v: {"column": v} for v in value}
        if isinstance(value, dict):
            return {k: ({"column": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value

    @field_validator("multi_punch", mode="before")
    @classmethod
    def _multi_shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({"column": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value

    @field_validator("segments", mode="before")
    @classmethod
    def _segment_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise ValueError("segments must be a list of column names or a mapping name → column")
            return {v.replace("_", " ").strip().capitalize(): v for v in value}
        return value

    @model_validator(mode="after")
    def _something_to_score(self) -> Columns:
        if not (self.nps or self.csat or self.ces or self.acsi or self.attributes):
            raise ValueError("map at least one of nps, csat, ces, acsi or attributes to a column")
        return self


# --------------------------------------------------------------------------- periods

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]


class Wave(Model):
    name: str = Field(min_length=1, description="The wave's name as reports show it (e.g. Wave 3, Spring 2026).")
    start: dt.date = Field(description="First fieldwork day of the wave.")
    end: dt.date = Field(description="Last fieldwork day of the wave.")

    @model_validator(mode="after")
    def _order(self) -> Wave:
        if self.end < self.start:
            raise ValueError(f"wave '{self.name}' ends ({self.end}) before it starts ({self.start})")
        return self


class Periods(Model):
    unit: Literal["quarter", "month", "year", "wave"] = Field(
        "quarter", description="Reporting period derived from the response date: quarter, month, year, or wave "
                               "(the date ranges listed in `waves`).")
    fiscal_year_start: int = Field(
        1, ge=1, le=12,
        description="First month of the (fiscal) year, 1–12 or a month name; quarters and years count from it.")
    waves: list[Wave] = Field(
        default_factory=list,
        description="With `unit: wave`: the waves in order, each {name, start, end}; a response belongs to the wave "
                    "whose dates hold its date (responses outside every wave are in no period).")
    timezone: str = Field(
        "UTC",
        description="The project's time zone (an IANA name such as Europe/London or Asia/Shanghai): response "
                    "timestamps with a UTC offset (2026-03-31T23:30:00Z) are converted to it before their date is "
                    "taken, so the answer above is dated 1 April in Europe/London (+01:00 in summer); timestamps "
                    "without an offset are taken as already in this zone.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, available_timezones

        try:
            ZoneInfo(value)
        except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError for malformed keys
            raise ValueError(f"unknown time zone '{value}' (an IANA name such as Europe/London or UTC)"
                             + did_you_mean(value, sorted(available_timezones()))) from None
        return value

    @field_validator("fiscal_year_start", mode="before")
    @classmethod
    def _month_name(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in _MONTHS:
            return _MONTHS.index(value.strip().lower()) + 1
        return value

    @model_validator(mode="after")
    def _waves(self) -> Periods:
        if self.unit == "wave" and not self.waves:
            raise ValueError("unit: wave needs `waves` (a list of {name, start, end})")
        if self.waves and self.unit != "wave":
            raise ValueError("`waves` is only used with unit: wave")
        names: set[str] = set()
        for before, wave in zip([None, *self.waves], self.waves):
            if wave.name.casefold() in names:
                raise ValueError(f"two waves are called '{wave.name}'")
            names.add(wave.name.casefold())
            if before is not None and wave.start <= before.end:
                raise ValueError(f"wave '{wave.name}' starts ({wave.start}) before '{before.name}' ends "
                                 f"({before.end}); list waves in order, without overlaps")
        return self


# --------------------------------------------------------------------------- targets


class Target(Model):
    value: float = Field(description="Target on the KPI's headline scale (NPS points, CSAT top-2-box %, CES mean or index).")
    tolerance: float | None = Field(
        None, ge=0,
        description="Amber band below the target; default 5 % of the KPI's scale (10 NPS points, 5 % points, 0.3 on a 1–7 mean).")
    segments: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Per-segment targets: segment name → {segment value → target}.")


def _target_shorthand(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"value": value}
    return value


#: Possible values of a target: a target outside its KPI's scale is a typing mistake.
TARGET_RANGES = {"nps": (-100, 100, "the NPS scale (−100 to +100)"),
                 "csat": (0, 100, "0–100 % (CSAT is a top-2-box percentage)"),
                 "ces": (-100, 100, "the CES scales (a 1–7 mean, or an index from −100 to +100)"),
                 "acsi": (0, 100, "the ACSI-style index's 0–100 scale"),
                 "attributes": (-100, 100, "any rating scale (−100 to +100)")}


class Targets(Model):
    nps: Target | None = Field(None, description="NPS target in points (a number, or {value, tolerance, segments}).")
    csat: Target | None = Field(None, description="CSAT target as top-2-box % (a number, or {value, tolerance, segments}).")
    ces: Target | None = Field(None, description="CES target on the headline figure: mean (1–7) or index.")
    acsi: Target | None = Field(None, description="ACSI-style index target (0–100 index points).")
    attributes: dict[str, Target] = Field(default_factory=dict, description="Targets on attribute means, by attribute name.")

    @field_validator("nps", "csat", "ces", "acsi", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return _target_shorthand(value)

    @field_validator("attributes", mode="before")
    @classmethod
    def _short_attrs(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: _target_shorthand(v) for k, v in value.items()}
        return value

    @field_validator("nps", "csat", "ces", "acsi", "attributes")
    @classmethod
    def _in_range(cls, value: Any, info) -> Any:
        low, high, scale = TARGET_RANGES[info.field_name]
        targets = value.values() if isinstance(value, dict) else [value]
        for target in targets:
            if target is None:
                continue
            for number in [target.value, *(v for seg in target.segments.values() for v in seg.values())]:
                if not (math.isfinite(number) and low <= number <= high):
                    raise ValueError(f"target {number:g} is outside {scale}")
        return value


# --------------------------------------------------------------------------- rules


class Bases(Model):
    suppress_below: int = Field(30, ge=1, description="Figures on fewer respondents are not shown ('—' with a footnote).")
    flag_below: int = Field(50, ge=1, description="Figures on fewer respondents are shown but marked as a small base.")
    max_groups: int = Field(
        200, ge=2,
        description="Groups a segment may have before a warning (blank answers, 'Not stated', not counted): its "
                    "tables and charts get long, and a --per build makes a report for each. A segment of 20 or more "
                    "groups most of which have fewer respondents than suppress_below is refused, whatever its size: "
                    "it is usually an id or free-text column mapped as a segment by mistake (see sparse_segments).")
    sparse_segments: list[str] = Field(
        default_factory=list,
        description="Segments allowed to have most of their groups under suppress_below (e.g. a long list of "
                    "touchpoints in a small study); they are kept, with a warning, instead of refused.")

    @model_validator(mode="after")
    def _order(self) -> Bases:
        if self.flag_below < self.suppress_below:
            raise ValueError("flag_below must not be lower than suppress_below")
        return self


class Level(float):
    """A significance level that knows how the p-values of one table are adjusted together
    (METHODS.md §8). It is the float α everywhere a level is used; ``adjust`` travels with it,
    so every scoring function handed ``project.significance.alpha`` applies the project's
    method without another argument."""

    adjust: str = "bh"

    def __new__(cls, value: float, adjust: str = "bh") -> Level:
        level = super().__new__(cls, value)
        level.adjust = adjust
        return level

    def __reduce__(self):     # a batch's worker processes receive the level whole
        return (Level, (float(self), self.adjust))

    def __repr__(self) -> str:
        return float.__repr__(self)


def adjust_method(alpha: float) -> str:
    """The adjustment that travels with ``alpha`` (Benjamini–Hochberg for a plain float)."""
    return getattr(alpha, "adjust", "bh")


class Significance(Model):
    alpha: Literal[0.10, 0.05, 0.01] = Field(0.05, description="Two-sided significance level for rises, falls and segment differences.")
    adjust: Literal["bh", "bonferroni", "none"] = Field(
        "bh", description="How the p-values of the comparisons in one table are adjusted together before a rise, "
                          "fall or difference is marked (METHODS.md §8): bh (Benjamini–Hochberg, false discovery "
                          "rate), bonferroni (family-wise error), none (each test on its own). Key findings and "
                          "every sentence follow the same marks.")

    @model_validator(mode="after")
    def _carry(self) -> Significance:
        # The level carries the method: score, build, units and batches read alpha alone.
        object.__setattr__(self, "alpha", Level(self.alpha, self.adjust))
        return self


def _banners_shorthand(value: Any) -> Any:
    """``banners: false`` turns banner tables off; ``banners: true`` keeps the defaults."""
    if value is False or value is None:
        return {"enabled": False}
    if value is True:
        return {}
    return value


class Banners(Model):
    enabled: bool = Field(True, description="Print banner tables (`banners: false` is the short way to turn them off).")
    segments: list[str | list[str]] | None = Field(
        None, description="The banners, one entry each: a segment name, or a list of segments printed side by side "
                          "(e.g. [Region, [Channel, Customer segment]]). Letters are compared within each segment. "
                          "Default: one banner per single-answer segment with 2 to `max_groups` groups.")
    items: list[str] | None = Field(
        None, description="The rows, in order: nps, csat, ces, acsi, attr:<attribute> (or the attribute's name). "
                          "Each row shows the item's headline figure (NPS, top-2 %, mean or index). Default: every "
                          "KPI, then every attribute.")
    max_groups: int = Field(12, ge=2, le=26, description="Default banners only: the most groups a segment may have "
                                                         "(\"Not stated\" not counted).")
    columns_per_table: int = Field(
        8, ge=3, le=16, description="The most columns one printed table shows, Total included; a wider banner "
                                    "continues in further tables that repeat the row labels and the Total.")
    appendix: bool = Field(True, description="Print the banners in the report's appendix (when it has one).")
    workbook: bool = Field(True, description="Write the banners to the workbook's 'Banner tables' sheet.")


BannersSetting = Annotated[Banners, BeforeValidator(_banners_shorthand)]


# --------------------------------------------------------------------------- report


class Fieldwork(Model):
    start: dt.date | None = Field(None, description="First fieldwork day (default: the earliest response date).")
    end: dt.date | None = Field(None, description="Last fieldwork day (default: the latest response date).")


def _per_unit_pattern(value: Any, info: ValidationInfo) -> str:
    """A path with ``{unit}`` in it; every unit's file must stay inside the project folder."""
    text = str(value)
    if "{unit}" not in text:
        raise ValueError("the path needs {unit} where the unit's name goes (e.g. narrative/units/{unit}.md)")
    if text.replace("{unit}", "").count("{") or text.replace("{unit}", "").count("}"):
        raise ValueError("only {unit} can be filled in")
    resolve_in_project(text.replace("{unit}", "x"), info.context, what="file", must_exist=False)
    return text


class Narrative(Model):
    executive_summary: ProjectFile | None = Field(None, description="Markdown file merged after the generated key findings.")
    recommendations: ProjectFile | None = Field(None, description="Markdown file for the recommendations section.")
    per_unit: Annotated[str, AfterValidator(_per_unit_pattern)] | None = Field(
        None,
        description="In a `--per` build, each unit's own Markdown commentary: a path with {unit} standing for the "
                    "unit's file name as in its report's name (e.g. narrative/units/{unit}.md gives "
                    "narrative/units/north.md for report-north.html). A unit report never carries the network's "
                    "narrative; a unit without a file gets generated text only.")


class Deck(Model):
    template: DeckTemplateFile | None = Field(
        None,
        description="A client PowerPoint template (.pptx, relative to the project file) whose slide layouts, "
                    "theme colours and fonts the deck uses (its own slides are dropped). See docs/outputs.md.")


class Report(Model):
    title: str = Field("Customer Experience Report", description="Report title.")
    subtitle: str | None = Field(None, description="Subtitle on the cover.")
    fieldwork: Fieldwork = Field(default_factory=Fieldwork, description="Fieldwork dates shown on the cover and in the methodology.")
    prepared_by: str | None = Field(None, description="Who prepared the report (consultancy, team).")
    prepared_for: str | None = Field(None, description="Who the report is for (default: the client name).")
    date: dt.date | None = Field(None, description="Report date on the cover (default: the build date).")
    confidentiality: str | None = Field(None, description="Confidentiality line in the footer of every page.")
    sections: list[Literal[SECTIONS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(SECTIONS),
        description=f"Sections to include, any of: {', '.join(SECTIONS)}.")
    narrative: Narrative = Field(default_factory=Narrative, description="Markdown files of consultant narrative merged into the report.")
    comments_shown: int = Field(8, ge=0, le=50, description="How many customer comments the comments section quotes.")
    period: str = Field(
        "latest",
        description="The reporting window every section describes (`--period` overrides it): latest (the last "
                    "period with responses), all (everything, pooled), a named period at the project's unit or "
                    "coarser (2026-Q3, 2026-09, 2026, FY2027-Q1, a wave's name), a rolling run (last 4 quarters), "
                    "or a date range (2026-01-01..2026-06-30). See docs/periods.md.")
    baseline: str | None = Field(
        None, description="A period every figure is also compared with (besides the previous period and the same "
                          "period a year earlier), written like `period`, e.g. 2025-Q1.")
    # Where `period` was set: the project file, or --period on the command line (for messages).
    period_from: str = Field("report.period", exclude=True, json_schema_extra={"internal": True})
    pool: dict[Literal[POOLABLE], int] = Field(  # type: ignore[valid-type]
        default_factory=dict,
        description=f"Sections that may use more periods than the window when it holds too few answers: section → "
                    f"number of periods ending with the window's last, e.g. {{drivers: 4}}. Sections: "
                    f"{', '.join(POOLABLE)}. The section's caption names the pooled periods.")
    output_name: str = Field("report", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                             description="File name (without extension) of the rendered reports.")
    theme: str | None = Field(
        None,
        description="Installed theme whose templates and CSS replace the built-in ones (a Python package "
                    "registering a `cxreport.themes` entry point; `cxreport themes list` shows them). "
                    "See docs/themes.md.")
    deck: Deck = Field(default_factory=Deck, description="The PowerPoint deck (`--format pptx`): an optional client template.")
    templates: ProjectFolder | None = Field(
        None,
        description="Folder of the project's own templates, which replace built-in and theme templates of the "
                    "same name (default: `templates/` beside the project file, when there is one).")

    @field_validator("pool")
    @classmethod
    def _pool_sizes(cls, value: dict) -> dict:
        for section, n in value.items():
            if not 1 <= n <= 40:
                raise ValueError(f"{section}: pool between 1 and 40 periods, not {n}")
        return value

    @field_validator("period", "baseline")
    @classmethod
    def _window_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from cxreport.window import parse_spec

        parse_spec(value)          # grammar only; the periods are checked against the data
        return value.strip()

    @field_validator("theme")
    @classmethod
    def _installed_theme(cls, value: str | None) -> str | None:
        if value is None or value == "default":
            return None
        from cxreport.errors import ConfigError
        from cxreport.present.themes import theme_chain

        try:
            theme_chain(value)
        except ConfigError as exc:
            raise ValueError(exc.format_message()) from None
        return value

    @model_validator(mode="after")
    def _default_templates(self, info: ValidationInfo) -> Report:
        if self.templates is None and info.context and info.context.get("base_dir"):
            folder = Path(info.context["base_dir"]) / "templates"
            if folder.is_dir():
                try:
                    self.templates = resolve_in_project(folder, info.context, what="folder", directory=True)
                except ValueError as exc:
                    raise ValueError(f"the templates folder beside the project file: {exc}") from None
        return self


# --------------------------------------------------------------------------- benchmarks


class Conversion(Model):
    """How a KPI value is put on a standard's scale: value × factor + offset."""

    to_metric: str = Field(description="The standard's metric the converted value is on (e.g. acsi).")
    factor: float = Field(1.0, description="Multiplier applied to the KPI value.")
    offset: float = Field(0.0, description="Added after the multiplier.")
    note: str = Field(min_length=1, description="How the conversion was justified (printed in the methodology).")


class Comparison(Model):
    kpi: str = Field(description="The KPI compared: nps, csat, ces, acsi or attr:<attribute name>.")
    standard: str = Field(description="A standard id from the library (cxreport standards list).")
    conversion: Conversion | None = Field(None, description="Needed when the KPI and the standard are on different metrics.")


class TierThresholds(Model):
    basic: float = Field(description="Threshold of the basic tier (on the KPI's headline scale).")
    differentiated: float = Field(description="Threshold of the differentiated tier.")
    excellent: float = Field(description="Threshold of the excellent tier.")

    @model_validator(mode="after")
    def _rising(self) -> TierThresholds:
        if not self.basic <= self.differentiated <= self.excellent:
            raise ValueError("tiers must rise: basic ≤ differentiated ≤ excellent")
        return self


class CompetitorSurvey(Model):
    file: ProjectFile = Field(description="Survey in which respondents rate several brands (CSV or XLSX).")
    brand_column: str | None = Field(None, description="Long shape: the column naming the brand rated on each row.")
    brands: list[str] = Field(default_factory=list, description="Wide shape: the brands, filled into '{brand}' in the column names.")
    weight: str | None = Field(None, description="Weight column (optional).")
    nps: str | None = Field(None, description="NPS column (0–10), e.g. q_nps or nps_{brand}.")
    csat: str | None = Field(None, description="CSAT column (1–5), e.g. q_csat or csat_{brand}.")
    csat_scale: Literal[5, 10] = Field(5, description="CSAT scale top.")
    ces: str | None = Field(None, description="CES column (1–7).")
    acsi: list[str] | None = Field(
        None, description="ACSI-style index: its three item columns (satisfaction, expectations, ideal), e.g. "
                          "[sat_{brand}, exp_{brand}, ideal_{brand}], scored on the scale and weights of columns.acsi "
                          "(default 1–10, equal weights).")
    date: str | None = Field(None, description="Response date column: the survey is then cut to the report's window "
                                               "(without answers in it: its latest period before the window ends, or "
                                               "its first period when fielded only after; the report says which).")
    date_format: str | None = Field(None, description="strftime format of the date column (default: ISO dates).")
    period: str | None = Field(None, description="Without a date column: when the survey was fielded, as reports "
                                                 "should name it (e.g. 2026 Q3).")

    @model_validator(mode="after")
    def _shape(self) -> CompetitorSurvey:
        if bool(self.brand_column) == bool(self.brands):
            raise ValueError("give either brand_column (one row per respondent and brand) or brands "
                             "(brand-suffixed columns with '{brand}' in their names)")
        if not (self.nps or self.csat or self.ces or self.acsi):
            raise ValueError("map at least one of nps, csat, ces, acsi")
        if self.acsi is not None and len(self.acsi) != 3:
            raise ValueError(f"acsi: the index needs three item columns; {len(self.acsi)} given")
        if self.brands:
            for key in ("nps", "csat", "ces", "acsi"):
                value = getattr(self, key)
                for column in (value if isinstance(value, list) else [value] if value else []):
                    if "{brand}" not in column:
                        raise ValueError(f"{key}: with brands, the column name needs '{{brand}}' "
                                         f"(e.g. {key}_{{brand}}), not '{column}'")
        return self


class CompetitorTable(Model):
    file: ProjectFile = Field(description="CSV of brand, metric, value and optional n, sd, source, year (syndicated or desk research).")


class Competitors(Model):
    own_brand: str = Field(min_length=1, description="The client's brand name as it appears in the competitor data.")
    survey: CompetitorSurvey | None = Field(None, description="Competitor survey (respondents rate several brands).")
    table: CompetitorTable | None = Field(None, description="Brand × metric × value table.")

    @model_validator(mode="after")
    def _some(self) -> Competitors:
        if self.survey is None and self.table is None:
            raise ValueError("give competitors.survey, competitors.table or both")
        return self


class Drivers(Model):
    outcome: str = Field("nps", description="The outcome item: nps, csat, ces, acsi or attr:<attribute name> (a numeric item or a composite scale score too).")
    drivers: list[str] = Field(default_factory=list, description="Attribute names used as drivers (default: every attribute except composite scale scores, whose items are drivers already).")
    method: Literal["auto", "relative_weights", "shapley"] = Field(
        "auto", description="auto: Shapley/LMG up to 15 drivers and relative weights always; or one of them.")
    segments: list[str] = Field(default_factory=list, description="Segments to run the analysis in (groups with enough base).")
    min_base: int = Field(200, ge=30, description="Smallest base for a driver analysis (total or segment group): "
                                                  "complete cases (listwise), or the smallest pair's base (pairwise).")
    missing: Literal["listwise", "pairwise"] = Field(
        "listwise",
        description="Missing answers: listwise uses only respondents who answered the outcome and every driver "
                    "(METHODS.md §3); pairwise computes each correlation on the respondents who answered both items, "
                    "so one sparsely answered attribute does not discard most of the sample.")
    bootstrap: int = Field(
        200, ge=0, le=10000,
        description="Bootstrap replicates for the 95 % percentile intervals on each driver's importance (relative "
                    "weights and Shapley/LMG, raw and % of R²): the respondents analysed are resampled with "
                    "replacement, each keeping its weight; 0 turns the intervals off (docs/analytics.md).")
    seed: int = Field(
        20260115, ge=0,
        description="Seed of the bootstrap's random draws: the same data, settings and seed give the same intervals.")


class Emerging(Model):
    min_count: int = Field(10, ge=1, description="Comments in the trend's latest period a theme needs before it can be called emerging.")
    min_rise: float = Field(
        2.0, ge=0, le=100,
        description="Smallest rise of its share of the comments, in percentage points, besides being significant.")
    phrases: bool = Field(True, description="Also flag suggested phrases (not yet in the code frame) whose share rose significantly.")


EmergingSetting = Annotated[Emerging | Literal[False], Field(union_mode="left_to_right")]


class Suggestions(Model):
    max: int = Field(10, ge=0, le=50, description="How many suggested themes are shown (0: none).")
    min_comments: int | None = Field(
        None, ge=1, description="Uncoded comments a phrase needs to be suggested (default: 0.5 % of the uncoded "
                                "comments, at least 5).")
    examples: int = Field(2, ge=0, le=5, description="Example comments quoted per suggested theme (masked).")


class CommentsConfig(Model):
    code_frame: dict[str, list[str] | dict[str, list[str]]] = Field(
        default_factory=dict,
        description="Themes: theme → keywords or phrases (whole words, any case) or regular expressions prefixed 're:'; "
                    "or per language {en: [...], zh: [...]} (Chinese keywords match anywhere in the text).")
    mask_names: list[str] = Field(default_factory=list, description="Names masked in every quoted comment (besides e-mails, IBANs, phone, card and account numbers and sort codes, which always are; docs/security.md).")
    segment: str | None = Field(None, description="Segment for the theme × segment table (default: the first segment with at most 8 groups).")
    verbatims_per_theme: int = Field(3, ge=0, le=10, description="Representative comments quoted per theme.")
    emerging: EmergingSetting = Field(
        default_factory=lambda: Emerging(),
        description="Emerging themes flagged in the key findings: a theme (or a suggested phrase) whose share of "
                    "the comments rose significantly in the trend's latest period (the window's last) against the "
                    "period before (docs/voice.md); `false` turns the flag off.")
    suggestions: Suggestions = Field(
        default_factory=lambda: Suggestions(),
        description="Suggested themes: frequent, distinctive phrases of the comments no theme matched, for "
                    "extending the code frame (the `suggested_themes` section, the workbook and the JSON).")
    user_words: list[str] = Field(
        default_factory=list,
        description="Words kept whole when comments are split into words (brand, product and place names): added "
                    "to the Chinese word segmenter's dictionary; never stop words.")
    stop_words: list[str] = Field(default_factory=list, description="More words ignored by the suggested themes (besides the built-in English and Chinese lists).")


class Journey(Model):
    stage: str | None = Field(None, description="Segment (from columns.segments) holding the journey stage.")
    touchpoint: str | None = Field(None, description="Segment holding the touchpoint.")
    touchpoints: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Instead of stage and touchpoint columns: stage → the attribute ratings of its touchpoints, in order.")
    kpi: str = Field("nps", description="Score shown per touchpoint: nps, csat, ces, acsi or attr:<name>.")
    stages: list[str] = Field(default_factory=list, description="Stages in journey order (default: as they sort).")
    targets: dict[str, float] = Field(default_factory=dict, description="Touchpoint → standard or target on the KPI's headline scale (default: the KPI's target).")
    pain_points: int = Field(3, ge=1, le=10, description="How many lowest-scoring touchpoints are highlighted as pain points (plus any below target by more than the tolerance).")
    emotion: bool = Field(
        True, description="Show the tone of the comments at each touchpoint and stage on the journey map (when the "
                          "project has comments and touchpoint or stage columns; docs/voice.md).")

    @model_validator(mode="after")
    def _one_form(self) -> Journey:
        columns = bool(self.stage and self.touchpoint)
        if columns == bool(self.touchpoints) or (bool(self.stage) != bool(self.touchpoint)):
            raise ValueError("give either stage and touchpoint (segment columns) or touchpoints "
                             "(stage → attribute ratings), not both")
        return self


class Priorities(Model):
    effort: dict[str, Literal["low", "medium", "high"]] = Field(
        default_factory=dict, description="Effort to improve each attribute (low, medium, high); medium counts as high effort.")
    themes: dict[str, str] = Field(default_factory=dict, description="Attribute → comment theme whose volume and tone are shown as evidence.")
    top: int = Field(5, ge=1, le=20, description="How many priorities the ranked list shows.")


class Quarterly(Model):
    period: str = Field(
        "latest", description="The period the quarterly review describes, written like report.period (default: the "
                              "latest period); `--period` overrides it. The client report follows report.period.")
    quarters: int = Field(5, ge=2, le=20, description="How many periods the quarterly review's trends show.")

    @field_validator("period")
    @classmethod
    def _window_text(cls, value: str) -> str:
        from cxreport.window import parse_spec

        parse_spec(value)
        return value.strip()
    units: list[str] = Field(default_factory=list, description="Segments whose groups are ranked as improvers and decliners (default: every segment with more than 4 groups).")
    min_base: int | None = Field(None, ge=1, description="Smallest base, in both periods, for a unit to be ranked (default: bases.flag_below).")
    narrative: ProjectFile | None = Field(None, description="Markdown of the consultant's commentary for the review.")
    programme: ProjectFile | None = Field(None, description="A mystery-shopping programme file whose wave results the review includes.")


class Benchmarks(Model):
    files: list[ProjectFile] = Field(default_factory=list, description="The project's own standards files (YAML or CSV); same id overrides the shipped library.")
    compare: list[Comparison] = Field(default_factory=list, description="Which standards each KPI is compared with in the reports.")


# --------------------------------------------------------------------------- case log (response times)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$")
#: Units a duration may be written in, in seconds.
DURATION_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
                  "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
                  "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
                  "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}


def parse_duration(value: Any) -> float:
    """A duration with its unit ('20s', '1h', '24 h', '30min', '2d', '1.5h') in seconds."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"write a duration with its unit, such as 20s, 30min, 1h or 2d (got {value!r})")
    m = _DURATION.match(value)
    unit = m.group(2).lower() if m else ""
    if not m or unit not in DURATION_UNITS:
        raise ValueError(f"'{value}' is not a duration; write a number and a unit: s, min, h or d "
                         "(20s, 30min, 1h, 24h, 2d)")
    seconds = float(m.group(1)) * DURATION_UNITS[unit]
    if not 0 < seconds <= 366 * 86400:
        raise ValueError(f"'{value}': a standard must be longer than zero and at most a year")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class CaseColumns(Model):
    case_id: str = Field(min_length=1, description="Case or ticket id column; a repeated id is reported and its later rows excluded.")
    channel: str = Field(min_length=1, description="Channel column; its values are matched to the channels of `standards` (any case and spacing).")
    received: str = Field(min_length=1, description="When the case was received (timestamp column).")
    first_response: str = Field(
        min_length=1, description="When the customer first got an answer (timestamp column); blank while unanswered.")
    closed: str | None = Field(None, description="When the case was closed (timestamp column); blank while open. Without it the backlog counts cases awaiting a first response.")
    respondent_id: str | None = Field(
        None, description="Survey respondent id column, matched to the survey's columns.respondent_id: links a case "
                          "to the customer's survey answers (detractor follow-up).")
    category: str | None = Field(None, description="Category column (complaint, query…): compliance is also shown by category.")
    segments: dict[str, str] = Field(
        default_factory=dict, description="Breakdowns of compliance: name → column (e.g. {Region: region}).")


class Cases(Model):
    file: ProjectFile = Field(
        description="The case or ticket export: CSV or Excel (.xlsx), one row per case, inside the project folder "
                    "(see docs/cases.md).")
    encoding: str = Field("auto", description="Text encoding of a CSV file: 'auto' or a codec name such as cp1252 or gb18030.")
    sheet: str | int | None = Field(None, description="Worksheet name or 0-based index of an Excel file (default: the first).")
    columns: CaseColumns = Field(description="Which column holds what: case id, channel, timestamps, respondent id, category, segments.")
    timestamp_format: str | None = Field(
        None, description="strftime format of every timestamp column, e.g. '%d/%m/%Y %H:%M' (default: read from "
                          "each column: ISO timestamps, numeric dates in one order per column, month names).")
    dayfirst: bool | None = Field(None, description="Read numeric dates such as 03/04/2026 day first (true) or month first (false); default: each column decides.")
    timezone: str | None = Field(
        None, description="Time zone of timestamps written without a UTC offset (an IANA name; default: "
                          "periods.timezone). Timestamps with an offset (2026-07-01T09:30:00+01:00) are converted; a "
                          "file mixing stamps with and without offsets has the minority kind's rows excluded. Cases "
                          "are dated and put in periods in periods.timezone; times are measured between instants.")
    standards: dict[str, Duration] = Field(
        min_length=1,
        description="First-response standard per channel: channel → duration with its unit (s, min, h, d), e.g. "
                    "{social: 1h, email: 24h, phone: 20s}. A row whose channel is not listed is reported and excluded.")
    closure: Duration | None = Field(None, description="Closure standard for every channel (e.g. 5d): closure compliance and overdue open cases.")
    target: float | None = Field(
        None, ge=0, le=100,
        description="Target share of cases answered within their standard, in % (e.g. 90): each channel's "
                    "compliance gets a status by the report's one status rule.")
    tolerance: float = Field(5.0, ge=0, le=100, description="Amber band below `target`, in percentage points.")
    ageing: list[Duration] = Field(
        default_factory=lambda: ["1d", "3d", "7d", "14d", "30d"], validate_default=True,
        min_length=1, max_length=8,
        description="Upper ends of the backlog's age bands, ascending (default [1d, 3d, 7d, 14d, 30d]; the last band "
                    "is open-ended).")

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        return Survey._known_codec(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else Periods._zone(value)

    @field_validator("ageing")
    @classmethod
    def _ascending(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(value, value[1:])):
            raise ValueError("the age bands must be listed in ascending order, each longer than the one before")
        return value

    @field_validator("standards")
    @classmethod
    def _distinct(cls, value: dict[str, float]) -> dict[str, float]:
        seen: dict[str, str] = {}
        for name in value:
            key = normalise_word(name)
            if not key:
                raise ValueError("a channel name is blank")
            if key in seen:
                raise ValueError(f"channels '{seen[key]}' and '{name}' are the same (case and spaces are ignored)")
            seen[key] = name
        return value

    @model_validator(mode="after")
    def _format(self) -> Cases:
        from cxreport.load.kinds import file_kind

        if file_kind(self.file) not in ("csv", "excel"):
            raise ValueError(f"the case log must be a CSV or Excel (.xlsx) file, not '{self.file.name}'")
        problem = format_problem(self.file, "auto", 1, self.encoding, self.sheet)
        if problem:
            raise ValueError(problem)
        return self


# --------------------------------------------------------------------------- scales


def _item_list(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("a multi-item scale is a list of attribute names")
    return value


def _word_scale(value: Any) -> Any:
    """A word scale: {word: whole number}."""
    if not isinstance(value, dict):
        raise ValueError("a scale is a list of attribute names (multi-item scale), {items: [...]} (a composite "
                         "score) or a mapping word → number (word scale)")
    out = {}
    for word, number in value.items():
        if not isinstance(word, str) and isinstance(number, str):
            raise ValueError(f"write a word scale as word: number ('{number}': {word}), not number: word")
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        if not isinstance(number, int) or isinstance(number, bool):
            raise ValueError(f"'{word}': the number of a word must be a whole number, not {number!r}")
        out[str(word)] = number
    return out


class CompositeScale(Model):
    """A multi-item scale whose score is reported: the mean of its items per respondent."""

    items: list[str] = Field(
        min_length=2,
        description="Attribute names (columns.attributes) of the scale's items, all on the same rating scale. "
                    "Reverse-worded items take `reverse: true` on the attribute.")
    label: str | None = Field(None, description="Label of the score in the report (default: the scale's name).")
    min_items: int | None = Field(
        None, ge=1,
        description="Answered items a respondent needs for a score (default: half the items, rounded up); the "
                    "score is the mean of the items answered, so a partly answered scale is not pulled down by "
                    "its blanks. Respondents with fewer answers have no score.")
    report: bool = Field(
        True, description="Report the score as an attribute named after the scale (`attr:<scale name>`): in the "
                          "attribute tables, targets.attributes, benchmarks, trends, segments, and as a driver or "
                          "outcome of drivers. False: only Cronbach's α is reported.")

    @field_validator("items")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("an item is listed twice")
        return value

    @model_validator(mode="after")
    def _enough(self) -> CompositeScale:
        if self.min_items is not None and self.min_items > len(self.items):
            raise ValueError(f"min_items ({self.min_items}) is more than the scale's {len(self.items)} items")
        return self

    @property
    def needed(self) -> int:
        return self.min_items if self.min_items is not None else math.ceil(len(self.items) / 2)


def _scale_kind(value: Any) -> str:
    if isinstance(value, list):
        return "items"
    if isinstance(value, CompositeScale) or (isinstance(value, dict) and "items" in value):
        return "composite"
    return "words"


ScaleEntry = Annotated[
    Annotated[list[str], BeforeValidator(_item_list), Tag("items")]
    | Annotated[CompositeScale, Tag("composite")]
    | Annotated[dict[str, int], BeforeValidator(_word_scale), Tag("words")],
    Discriminator(_scale_kind)]


# --------------------------------------------------------------------------- weighting (raking)


def _margin_keys(value: Any) -> Any:
    """Segment values written as numbers in YAML (``1: 0.5``) are read as text."""
    if isinstance(value, dict):
        return {str(k): ({str(c): s for c, s in v.items()} if isinstance(v, dict) else v)
                for k, v in value.items()}
    return value


def _trim_pair(value: Any) -> Any:
    if value is not None and (not isinstance(value, (list, tuple)) or len(value) != 2):
        raise ValueError("give the bounds as [lower, upper] multiples of the mean weight, e.g. [0.3, 3]")
    return value


#: How far a margin's shares may sum from 1 (they are then scaled to sum to exactly 1).
MARGIN_SUM_TOLERANCE = 0.001


class Weighting(Model):
    rake: Annotated[dict[str, dict[str, float]], BeforeValidator(_margin_keys)] = Field(
        description="Population margins to rake to: segment name (from columns.segments) → {group: share}, e.g. "
                    "{Region: {North: 0.25, South: 0.75}}. Groups are named as the report shows them (any case and "
                    "spacing); every group in the data needs a share, and each margin's shares sum to 1 (±0.001). "
                    "Respondents with no answer are the group 'Not stated'.")
    trim: Annotated[tuple[float, float] | None, BeforeValidator(_trim_pair)] = Field(
        None,
        description="[lower, upper]: weights are capped to lower × and upper × the mean weight, then raked again, "
                    "until the margins hold with every weight inside the bounds (e.g. [0.3, 3]).")
    tolerance: float = Field(
        1e-6, gt=0, le=0.01,
        description="Raking stops when every group's weighted share is within this of its target.")
    max_iterations: int = Field(
        100, ge=1, le=10000,
        description="Raking passes (one adjustment per margin each) allowed before the weighting is reported as not "
                    "converged; with trim, also the trim-and-rake rounds allowed.")
    per_period: bool = Field(
        False,
        description="Rake each reporting period (quarter, month, wave … of `periods`) to the margins on its own, as a "
                    "tracker weights each wave; rows in no period are raked together. Default: the whole file at once.")

    def problems(self, segments: list[str], multi: list[str], date: str | None = None
                 ) -> list[tuple[tuple[str, ...], str]]:
        """Margins that cannot be raked to, by key (weighting.rake.Region.North)."""
        from cxreport.validate import group_key

        out: list[tuple[tuple[str, ...], str]] = []
        if not self.rake:
            out.append((("weighting", "rake"), "name at least one segment and the population share of each of its "
                                               "groups, e.g. {Region: {North: 0.4, South: 0.6}}"))
        for name, shares in self.rake.items():
            where = ("weighting", "rake", name)
            if name not in segments:
                hint = (f" ('{name}' is a multi-punch question: a respondent can be in several of its groups)"
                        if name in multi else did_you_mean(name, segments))
                out.append((where, f"no segment '{name}' in columns.segments{hint}"))
                continue
            if not shares:
                out.append((where, "a margin needs the share of each group, e.g. {North: 0.4, South: 0.6}"))
                continue
            seen: dict[str, str] = {}
            valid = True
            for group, share in shares.items():
                key = group_key(group)
                if not math.isfinite(share) or share <= 0:
                    valid = False
                    out.append((where + (group,), f"share {share:g} must be above 0 (a group that should have no "
                                                  "weight is better excluded from the data)"))
                elif share > 1:
                    valid = False
                    out.append((where + (group,), f"share {share:g} is above 1; give shares (0.25), not percentages"))
                if not key:
                    out.append((where, "a group name is blank (respondents with no answer are 'Not stated')"))
                elif key in seen:
                    out.append((where + (group,), f"'{group}' and '{seen[key]}' are the same group (case and "
                                                  "spaces are ignored)"))
                seen.setdefault(key, group)
            total = sum(shares.values())
            if valid and abs(total - 1) > MARGIN_SUM_TOLERANCE:
                out.append((where, f"the shares sum to {total:.6g}, not 1 (±{MARGIN_SUM_TOLERANCE:g})"))
        if self.per_period and not date:
            out.append((("weighting", "per_period"), "needs response dates: columns.date is not mapped"))
        if self.trim is not None:
            low, high = self.trim
            if not (math.isfinite(low) and math.isfinite(high) and 0 < low <= 1 <= high):
                out.append((("weighting", "trim"), f"[{low:g}, {high:g}] must be [lower, upper] with 0 < lower ≤ 1 ≤ "
                                                   "upper (multiples of the mean weight), e.g. [0.3, 3]"))
            elif low == high:
                out.append((("weighting", "trim"), "lower and upper are both 1: every weight would be 1"))
        return out


# --------------------------------------------------------------------------- project


def _actions_shorthand(value: Any) -> Any:
    return {"file": value} if isinstance(value, (str, Path)) else value


class ActionsConfig(Model):
    file: ProjectFile = Field(
        description="The action register: YAML (a list of actions, or `actions:` holding one), CSV or Excel "
                    "(.xlsx, a row per action). Columns or keys: id, title, owner, start, due, status, metric, "
                    "baseline, expected, addresses, notes (see docs/actions.md).")
    sheet: str | int | None = Field(None, description="Worksheet name or 0-based index of an Excel register (default: the first).")
    due_soon_days: int = Field(
        30, ge=0, le=366,
        description="An open action (planned or in progress) due within this many days of the report date is "
                    "flagged 'due soon'; one past its due date 'overdue'.")
    themes_shown: int = Field(
        5, ge=1, le=20,
        description="How many of the leading complaint themes (most negative comments) the 'You said, we did' "
                    "page pairs with actions.")


ActionsSetting = Annotated[ActionsConfig, BeforeValidator(_actions_shorthand)]


class Consistency(Model):
    segment: str = Field(description="The segment holding the channel (from columns.segments), e.g. Channel.")
    kpis: list[str] = Field(
        default_factory=list,
        description="KPIs compared across channels: nps, csat, ces, acsi or attr:<name> (default: every headline KPI).")
    weighting: Literal["customers", "equal"] = Field(
        "customers", description="Channel weights in the consistency index: each channel's share of the customers "
                                 "(weighted base), or equal.")
    channels: list[str] = Field(default_factory=list, description="Channels shown, in order (default: every group of the segment).")


class CustomerFileColumns(Model):
    customer_id: str = Field(min_length=1, description="Customer id column, matched to the survey's columns.respondent_id.")
    date: str | None = Field(None, description="transactions: the purchase date column.")
    amount: str | None = Field(None, description="transactions: the amount column (a negative amount is a refund).")
    recency: str | None = Field(None, description="customers: days since the last purchase.")
    last_purchase: str | None = Field(None, description="customers: date of the last purchase (instead of recency; days counted to `as_of`).")
    frequency: str | None = Field(None, description="customers: purchases in the window.")
    monetary: str | None = Field(None, description="customers: spend in the window.")
    tenure: str | None = Field(None, description="Tenure as a customer (a number, e.g. years).")
    value_tier: str | None = Field(None, description="The client's own value tier (text), reported beside the RFM segments.")
    churned: str | None = Field(None, description="Churned flag (yes/no, 1/0, true/false, y/n, churned/active, 是/否, any case; blank: unknown): churn by NPS group.")


class Customers(Model):
    file: ProjectFile = Field(description="The customer file: CSV or Excel (.xlsx), inside the project folder (docs/customer-value.md).")
    layout: Literal["customers", "transactions"] = Field(
        "customers", description="customers: one row per customer with recency, frequency and monetary fields; "
                                 "transactions: one row per purchase (customer id, date, amount).")
    encoding: str = Field("auto", description="Text encoding of a CSV file: 'auto' or a codec name such as cp1252 or gb18030.")
    sheet: str | int | None = Field(None, description="Worksheet name or 0-based index of an Excel file (default: the first).")
    columns: CustomerFileColumns = Field(description="Which column holds what.")
    as_of: dt.date | None = Field(
        None, description="The date recency is counted to (transactions, or last_purchase dates; default: the last "
                          "purchase date in the file).")
    window_days: int | None = Field(None, ge=1, description="transactions: only purchases in this many days up to `as_of` count.")
    date_format: str | None = Field(None, description="strftime format of the date columns (default: read from each column).")
    dayfirst: bool | None = Field(None, description="Read numeric dates such as 03/04/2026 day first (true) or month first (false).")
    top_share: float = Field(0.2, gt=0, lt=1, description="Share of customers in the top value tier (by monetary value).")
    touchpoint: str | None = Field(
        None, description="Segment (from columns.segments) the satisfied-but-not-loyal share is also shown by "
                          "(default: journey.touchpoint).")

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        return Survey._known_codec(value)

    @model_validator(mode="after")
    def _layout_columns(self) -> Customers:
        c = self.columns
        if self.layout == "transactions":
            missing = [k for k in ("date", "amount") if getattr(c, k) is None]
            if missing:
                raise ValueError(f"layout transactions needs columns.{' and columns.'.join(missing)}")
        else:
            missing = [k for k in ("frequency", "monetary") if getattr(c, k) is None]
            if c.recency is None and c.last_purchase is None:
                missing.insert(0, "recency (or last_purchase)")
            if missing:
                raise ValueError(f"layout customers needs columns.{', columns.'.join(missing)}")
        return self


class Project(Model):
    """One study: who it is for, where the data is, how to read it and what to report."""

    client: Client = Field(description="Who the study is for: name and logo.")
    brand: Brand = Field(default_factory=Brand, description="Colours and font of the report.")
    language: ReportLanguage = Field(
        "en", description="Report language: en (English) or zh-CN (Simplified Chinese; zh is accepted). "
                          "Sets the template text, generated sentences, number and date formats and fonts.")
    survey: Survey = Field(description="Where the survey data is and how to read it.")
    columns: Columns = Field(description="Which column holds what: ids, dates, weights, KPIs, attributes, segments.")
    missing_codes: list[Code] = Field(default_factory=list, description="Codes meaning 'missing' in every item (for example 99, -99).")
    periods: Periods = Field(default_factory=Periods, description="How reporting periods are derived from the response date.")
    targets: Targets = Field(default_factory=Targets, description="Targets per KPI (and per segment value) with an amber tolerance.")
    bases: Bases = Field(default_factory=Bases, description="Small-base rules.")
    significance: Significance = Field(default_factory=Significance, description="Significance level of tests.")
    banners: BannersSetting = Field(
        default_factory=Banners, description="Banner tables (docs/banners.md): KPIs and attributes by the groups "
                                             "of segments, with column-letter significance marks, in the appendix "
                                             "and the workbook; `false` turns them off.")
    report: Report = Field(default_factory=Report, description="Titles, cover details, sections and narrative.")
    benchmarks: Benchmarks = Field(default_factory=Benchmarks, description="Published and own standards the KPIs are compared with.")
    competitors: Competitors | None = Field(None, description="Competitor data: own brand against rival brands.")
    quarterly: Quarterly = Field(default_factory=Quarterly, description="The quarterly management review (`build --report quarterly`).")
    drivers: Drivers | None = Field(None, description="Key driver analysis of an outcome on the attribute ratings.")
    comments: CommentsConfig | None = Field(None, description="Comment analytics: sentiment, themes from a code frame, masked verbatims.")
    journey: Journey | None = Field(None, description="Customer journey map from stage and touchpoint segments.")
    priorities: Priorities | None = Field(None, description="Priority matrix and ranked improvement priorities (needs drivers).")
    consistency: Consistency | None = Field(
        None, description="Multichannel consistency: each KPI across the channels, the largest gap with its test and "
                          "a consistency index (docs/methods.md), in the client report and the quarterly review.")
    customers: Customers | None = Field(
        None, description="A customer file joined on the respondent id: RFM value segments, NPS/CSAT by value, "
                          "satisfied-but-not-loyal customers and churn by NPS group (docs/customer-value.md).")
    cases: Cases | None = Field(
        None, description="A case or ticket export: first-response and closure times against per-channel standards, "
                          "backlog, and follow-up of survey detractors (docs/cases.md).")
    scales: dict[str, ScaleEntry] = Field(
        default_factory=dict,
        description="Named scales. A list of attribute names is a multi-item scale whose Cronbach's alpha is reported; "
                    "a mapping of words to numbers is a word scale ({Very poor: 1, Poor: 2, …}) that items name in "
                    "their `scale` to have answers in words read as numbers (any case and spacing).")
    tiers: dict[str, TierThresholds] = Field(
        default_factory=dict,
        description="Service-standard tiers per KPI (nps, csat, ces, acsi or attr:<name>): a unit's tier is the highest threshold it meets.")
    actions: ActionsSetting | None = Field(
        None, description="The action register (a file, or {file, sheet, due_soon_days, themes_shown}): actions with "
                          "an owner, due date and the metric each should move; the report measures their effect.")
    hierarchy: dict[str, str] = Field(
        default_factory=dict,
        description="Segments nested in another: child segment → parent segment (e.g. {Branch: Region}). A `--per` "
                    "unit report compares the unit with its parent unit and the network. Default: a segment whose "
                    "every group lies wholly within one group of a smaller segment has that segment as parent.")
    weighting: Weighting | None = Field(
        None, description="Raking (RIM weighting) to population margins on segments; the weights it computes (from "
                          "columns.weight as design weights when set) are used by every figure (docs/weighting.md).")

    # Set by the loader, not by the user.
    path: Path | None = Field(None, exclude=True, json_schema_extra={"internal": True})

    # ---- scales

    @property
    def item_scales(self) -> dict[str, list[str]]:
        """Multi-item scales (name → attribute names) for Cronbach's alpha: the lists and the
        composite scales."""
        return {name: (list(value.items) if isinstance(value, CompositeScale) else value)
                for name, value in self.scales.items() if isinstance(value, (list, CompositeScale))}

    @property
    def composites(self) -> dict[str, CompositeScale]:
        """Composite scales whose score is reported as an attribute (name → scale)."""
        return {name: value for name, value in self.scales.items()
                if isinstance(value, CompositeScale) and value.report}

    @property
    def word_scales(self) -> dict[str, dict[str, int]]:
        """Word scales (name → {word: number})."""
        return {name: value for name, value in self.scales.items() if isinstance(value, dict)}

    def words(self, item: Item) -> dict[str, float] | None:
        """The item's word scale as {normalised word: number}, or None for a numeric item."""
        scale = getattr(item, "scale", None)
        if not isinstance(scale, str):
            return None
        return {normalise_word(w): float(v) for w, v in self.word_scales[scale].items()}

    def scale_range(self, item: Item) -> tuple[int, int]:
        """(low, high) of an item: its numeric scale, or the lowest and highest number of its word
        scale that is neither one of its na_codes nor a project missing code."""
        scale = getattr(item, "scale", None)
        if isinstance(scale, tuple):
            return scale
        if isinstance(scale, str):
            skip = {float(c) for c in list(item.na_codes) + list(self.missing_codes)}
            numbers = [v for v in self.word_scales.get(scale, {}).values() if float(v) not in skip]
            if numbers:
                return (int(min(numbers)), int(max(numbers)))
            return (0, 0)
        if isinstance(item, CESItem):
            return (1, 7)
        if isinstance(item, CSATItem):
            return (1, int(scale))
        return (0, 10)

    def _scale_problems(self) -> list[tuple[tuple[str, ...], str]]:
        problems: list[tuple[tuple[str, ...], str]] = []
        for name, words in self.word_scales.items():
            seen: dict[str, str] = {}
            if len(words) < 2:
                problems.append((("scales", name), "a word scale needs at least two words"))
            for word in words:
                key = normalise_word(word)
                if not key:
                    problems.append((("scales", name), "a word is blank"))
                elif key in seen:
                    problems.append((("scales", name, word),
                                     f"'{word}' and '{seen[key]}' are the same word (case and spaces are ignored)"))
                seen.setdefault(key, word)
        items: list[tuple[tuple[str, ...], Item]] = [
            (("columns", k), getattr(self.columns, k)) for k in ("csat", "ces") if getattr(self.columns, k)]
        items += [(("columns", "attributes", n), a) for n, a in self.columns.attributes.items()]
        for loc, item in items:
            scale = item.scale
            if not isinstance(scale, str):
                continue
            if scale not in self.word_scales:
                hint = (" (it is a list of attributes, a multi-item scale; a word scale maps words to numbers)"
                        if scale in self.scales else did_you_mean(scale, list(self.word_scales)))
                problems.append((loc + ("scale",), f"no word scale '{scale}' in scales:{hint}"))
                continue
            low, high = self.scale_range(item)
            if high <= low:
                problems.append((loc + ("scale",), f"word scale '{scale}' needs at least two numbers that are not "
                                                   "na_codes or missing codes"))
            elif isinstance(item, CSATItem) and (low, high) not in ((1, 5), (1, 10)):
                problems.append((loc + ("scale",), f"word scale '{scale}' runs {low}–{high}; CSAT needs 1–5 or 1–10"))
            elif isinstance(item, CESItem) and (low, high) != (1, 7):
                problems.append((loc + ("scale",), f"word scale '{scale}' runs {low}–{high}; CES needs 1–7"))
        return problems

    def _composite_problems(self) -> list[tuple[tuple[str, ...], str]]:
        """Multi-item scales must name attributes; a composite's items share one rating scale."""
        problems: list[tuple[tuple[str, ...], str]] = []
        attrs = self.columns.attributes
        for name, members in self.item_scales.items():
            composite = isinstance(self.scales[name], CompositeScale)
            loc = ("scales", name, "items") if composite else ("scales", name)
            if composite and name in attrs:
                problems.append((("scales", name), f"an attribute of the same name is in columns.attributes; a "
                                                   "composite score is reported as an attribute, so give it "
                                                   "another name"))
            for i, member in enumerate(members):
                if member not in attrs:
                    problems.append((loc + (i,), f"no attribute '{member}' in columns.attributes"
                                     + did_you_mean(member, list(attrs))))
            known = [attrs[m] for m in members if m in attrs]
            if not composite or len(known) != len(members):
                continue
            numeric = [m for m in members if attrs[m].numeric]
            if numeric:
                problems.append((loc, f"'{numeric[0]}' is a numeric item; a composite score averages rating items "
                                      "on one scale"))
                continue
            ranges = {m: self.scale_range(attrs[m]) for m in members}
            first = members[0]
            other = next((m for m in members if ranges[m] != ranges[first]), None)
            if other is not None:
                (a, b), (c, d) = ranges[first], ranges[other]
                problems.append((loc, f"'{first}' is on {a}–{b} and '{other}' on {c}–{d}: the items of a composite "
                                      "score must share one scale"))
        return problems

    def cross_reference_problems(self) -> list[tuple[tuple[str, ...], str]]:
        """Problems between settings (a target naming an attribute that is not mapped…)."""
        problems: list[tuple[tuple[str, ...], str]] = self._scale_problems() + self._composite_problems()
        attrs = list(self.columns.attributes) + list(self.composites)
        segs = list(self.columns.segments) + [n for n, m in self.columns.multi_punch.items() if m.segment]
        for name in self.columns.segment_order:
            if name not in self.columns.segments:
                problems.append((("columns", "segment_order", name), f"no segment '{name}' in columns.segments"
                                 + did_you_mean(name, list(self.columns.segments))))
        for name in self.columns.multi_punch:
            if name in self.columns.segments:
                problems.append((("columns", "multi_punch", name), "a segment of the same name is in columns.segments"))
        for name in self.targets.attributes:
            if name not in attrs:
                problems.append((("targets", "attributes", name),
                                 "no attribute of that name in columns.attributes" + did_you_mean(name, attrs)))
        for child, parent in self.hierarchy.items():
            for key, name in ((child, child), ((child,), parent)):
                if name not in self.columns.segments:
                    loc = ("hierarchy", child) if isinstance(key, tuple) else ("hierarchy",)
                    problems.append((loc, f"no segment '{name}' in columns.segments"
                                          + did_you_mean(name, list(self.columns.segments))))
            if child == parent:
                problems.append((("hierarchy", child), "a segment cannot be its own parent"))
        if self.weighting is not None:
            problems += self.weighting.problems(list(self.columns.segments), list(self.columns.multi_punch),
                                                self.columns.date)
        if self.cases is not None and self.cases.columns.respondent_id and not self.columns.respondent_id:
            problems.append((("cases", "columns", "respondent_id"),
                             "links cases to survey respondents, but columns.respondent_id is not mapped"))
        if self.customers is not None and not self.columns.respondent_id:
            problems.append((("customers",), "is joined to the survey on the respondent id, but "
                                             "columns.respondent_id is not mapped"))
        segment_names = list(self.columns.segments)
        if self.consistency is not None and self.consistency.segment not in segment_names:
            hint = (f" ('{self.consistency.segment}' is a multi-punch question: a respondent can be in several of "
                    "its groups)") if self.consistency.segment in self.columns.multi_punch else \
                did_you_mean(self.consistency.segment, segment_names)
            problems.append((("consistency", "segment"), f"no segment '{self.consistency.segment}'{hint}"))
        if self.customers is not None and self.customers.touchpoint and self.customers.touchpoint not in segment_names:
            problems.append((("customers", "touchpoint"), f"no segment '{self.customers.touchpoint}'"
                                                          f"{did_you_mean(self.customers.touchpoint, segment_names)}"))
        from cxreport.window import parse_spec, spec_problem

        for section, key in (("report", "period"), ("report", "baseline"), ("quarterly", "period")):
            text = getattr(getattr(self, section), key)
            if text is None:
                continue
            problem = spec_problem(parse_spec(text), self.periods)
            if problem:
                problems.append(((section, key), problem))
        if self.report.pool and self.report.period.strip().lower() != "all":
            if parse_spec(self.report.period).kind == "range":
                problems.append((("report", "pool"), "pooling counts whole periods; it cannot extend a date-range "
                                                     "window (use a named period or 'last N' instead)"))
        for kpi in ("nps", "csat", "ces", "acsi"):
            target = getattr(self.targets, kpi)
            if target is None:
                continue
            if getattr(self.columns, kpi) is None:
                problems.append((("targets", kpi), f"a target is set but columns.{kpi} is not mapped"))
            for seg in target.segments:
                if seg not in segs:
                    problems.append((("targets", kpi, "segments", seg),
                                     "no segment of that name in columns.segments" + did_you_mean(seg, segs)))
        problems += self._banner_problems()
        return problems

    def _banner_problems(self) -> list[tuple[tuple[str, ...], str]]:
        """banners: every segment a single-answer segment, every item one the project scores."""
        problems: list[tuple[tuple[str, ...], str]] = []
        cfg = self.banners
        single = list(self.columns.segments)
        multi = [n for n, m in self.columns.multi_punch.items() if m.segment]
        for i, entry in enumerate(cfg.segments or []):
            names = [entry] if isinstance(entry, str) else entry
            if not names:
                problems.append((("banners", "segments", str(i)), "an empty list; name at least one segment"))
            for name in names:
                if name in multi:
                    problems.append((("banners", "segments", str(i)),
                                     f"'{name}' is a multi-punch question; its groups overlap, so its columns "
                                     "cannot be tested against each other (use a single-answer segment)"))
                elif name not in single:
                    problems.append((("banners", "segments", str(i)), f"no segment '{name}' in columns.segments"
                                     + did_you_mean(name, single)))
            if len(set(names)) < len(names):
                problems.append((("banners", "segments", str(i)), "a segment is listed twice in one banner"))
        attrs = list(self.columns.attributes) + list(getattr(self, "composites", {}))
        kpis = [k for k in ("nps", "csat", "ces", "acsi") if getattr(self.columns, k, None) is not None]
        seen: set[str] = set()
        for i, name in enumerate(cfg.items or []):
            key = name if name in ("nps", "csat", "ces", "acsi") or name.startswith("attr:") else f"attr:{name}"
            if key in ("nps", "csat", "ces", "acsi"):
                if key not in kpis:
                    problems.append((("banners", "items", str(i)), f"'{name}': columns.{key} is not mapped"))
            elif key[5:] not in attrs:
                problems.append((("banners", "items", str(i)), f"no item '{name}' (write nps, csat, ces, acsi or "
                                 "attr:<attribute name>)" + did_you_mean(key[5:], attrs)))
            if key in seen:
                problems.append((("banners", "items", str(i)), f"'{name}' is listed twice"))
            seen.add(key)
        if cfg.items is not None and not cfg.items:
            problems.append((("banners", "items"), "an empty list; leave it out for every KPI and attribute"))
        return problems

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def weighted(self) -> bool:
        return self.columns.weight is not None or self.weighting is not None

