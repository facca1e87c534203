"""Project-file errors: a consultant who mistypes cxreport.yaml must get one clear message per
problem, naming the key and the line, never a traceback and never a silently ignored setting.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from cxreport.config.loader import load_project
from cxreport.errors import ConfigError

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "harbour-bank"

MINIMAL = """\
client:
  name: Acme
survey:
  file: data.csv
columns:
  nps: q_nps
"""


def project(tmp_path: Path, text: str, name: str = "proj") -> Path:
    """A project folder with a small data.csv and the given cxreport.yaml."""
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.csv").write_text("id,q_nps,region\n1,9,North\n2,3,South\n", encoding="utf-8")
    path = folder / "cxreport.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, **kwargs) -> list[str]:
    """Every problem line of the ConfigError raised for ``path``."""
    with pytest.raises(ConfigError) as info:
        load_project(path, **kwargs)
    err = info.value
    return err.problems if err.problems else [err.message]


def one_problem(path: Path, **kwargs) -> str:
    found = problems_of(path, **kwargs)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- baseline


def test_minimal_project_loads(tmp_path):
    """The smallest valid project file must load (otherwise every other test here is meaningless)."""
    loaded = load_project(project(tmp_path, MINIMAL))
    assert loaded.client.name == "Acme"
    assert loaded.columns.nps.column == "q_nps"
    assert loaded.survey.file == (tmp_path / "proj" / "data.csv").resolve()


def test_project_folder_can_be_given_instead_of_the_file(tmp_path):
    """`cxreport build myproject/` finds myproject/cxreport.yaml."""
    path = project(tmp_path, MINIMAL)
    assert load_project(path.parent).path == path.resolve()


def test_sample_project_loads():
    """The bundled demo project must load (the README's first command)."""
    loaded = load_project(SAMPLE / "cxreport.yaml")
    assert loaded.brand.primary == "#0B3C5D"
    assert loaded.targets.nps.segments == {"Region": {"North": 25.0}}


# --------------------------------------------------------------------------- YAML syntax


def test_invalid_yaml_reports_line_and_column(tmp_path):
    """A YAML syntax error must point at the line and column to fix."""
    text = "client:\n  name: Acme\nsurvey:\n  file: data.csv\n columns: [\n"
    message = one_problem(project(tmp_path, text))
    assert message.startswith("cxreport.yaml, line 5, column 2: invalid YAML")


def test_unclosed_quote_reports_a_line(tmp_path):
    """An unclosed quote is reported as invalid YAML with a line number."""
    text = 'client:\n  name: "Acme\nsurvey:\n  file: data.csv\n'
    message = one_problem(project(tmp_path, text))
    assert "cxreport.yaml, line" in message and "invalid YAML" in message


def test_tab_indentation_reports_line_and_column(tmp_path):
    """A tab used for indentation is reported at its line and column."""
    message = one_problem(project(tmp_path, "client:\n\tname: Acme\n"))
    assert message.startswith("cxreport.yaml, line 2, column 1: invalid YAML")


def test_a_list_instead_of_settings_is_explained(tmp_path):
    """A file that is a YAML list, not settings, gets a plain-language message."""
    message = one_problem(project(tmp_path, "- client\n- survey\n"))
    assert "must be a mapping of settings" in message and "list" in message


def test_empty_project_file(tmp_path):
    """An empty project file says so instead of listing every missing key."""
    assert "project file is empty" in one_problem(project(tmp_path, "  \n# only a comment\n"))


# --------------------------------------------------------------------------- unknown keys


def test_unknown_nested_key_has_did_you_mean(tmp_path):
    """'colum' instead of 'column' must be named, with its line and the right spelling."""
    text = MINIMAL.replace("  nps: q_nps\n", "  nps: {colum: q_nps}\n")
    found = problems_of(project(tmp_path, text))
    assert "cxreport.yaml, line 6: columns.nps.colum: unknown key (did you mean 'column'?)" in found


def test_unknown_top_level_key_has_did_you_mean(tmp_path):
    """A misspelt section name ('brnad') is reported with the right spelling, not ignored."""
    text = MINIMAL + "brnad:\n  primary: '#123456'\n"
    message = one_problem(project(tmp_path, text))
    assert message == "cxreport.yaml, line 7: brnad: unknown key (did you mean 'brand'?)"


def test_misspelt_required_section_reports_both_sides(tmp_path):
    """A misspelt required section gives both 'missing columns' and 'did you mean columns'."""
    text = MINIMAL.replace("columns:", "colums:")
    found = problems_of(project(tmp_path, text))
    assert any("missing required key 'columns'" in p for p in found)
    assert any("line 5: colums: unknown key (did you mean 'columns'?)" in p for p in found)


# --------------------------------------------------------------------------- wrong types


def test_text_where_a_number_is_expected(tmp_path):
    """Text where a number belongs names the key, the line and the value given."""
    message = one_problem(project(tmp_path, MINIMAL + "bases:\n  suppress_below: lots\n"))
    assert message.startswith("cxreport.yaml, line 8: bases.suppress_below:")
    assert "integer" in message and "'lots'" in message


def test_list_where_a_number_is_expected(tmp_path):
    """A list where a number belongs names the key and the line."""
    message = one_problem(project(tmp_path, MINIMAL + "report:\n  comments_shown: [1]\n"))
    assert message.startswith("cxreport.yaml, line 8: report.comments_shown:")


def test_text_where_settings_are_expected(tmp_path):
    """`client: Acme` (text instead of settings) is explained in plain words."""
    text = MINIMAL.replace("client:\n  name: Acme\n", "client: Acme\n")
    message = one_problem(project(tmp_path, text))
    assert message == "cxreport.yaml, line 1: client: expected a mapping of settings, got text"


def test_missing_codes_must_be_a_list(tmp_path):
    """`missing_codes: abc` is refused with its line."""
    message = one_problem(project(tmp_path, MINIMAL + "missing_codes: abc\n"))
    assert message.startswith("cxreport.yaml, line 7: missing_codes:") and "list" in message


def test_alpha_must_be_one_of_the_allowed_levels(tmp_path):
    """Only α = 0.10, 0.05 or 0.01 are allowed; others are refused listing the choices."""
    message = one_problem(project(tmp_path, MINIMAL + "significance:\n  alpha: 0.2\n"))
    assert message.startswith("cxreport.yaml, line 8: significance.alpha:")
    assert "0.05" in message


def test_wrong_section_name_names_the_list_item(tmp_path):
    """A misspelt report section names the list item and suggests the right one."""
    text = MINIMAL + "report:\n  sections:\n    - scorecard\n    - trends\n"
    message = one_problem(project(tmp_path, text))
    assert message.startswith("cxreport.yaml, line 10: report.sections[1]:")
    assert "did you mean 'trend'?" in message


def test_invalid_report_date_names_the_date_key(tmp_path):
    """`report.date: notadate` must be reported against report.date on line 8, not against 'report'."""
    message = one_problem(project(tmp_path, MINIMAL + "report:\n  title: T\n  date: notadate\n"))
    assert message.startswith("cxreport.yaml, line 9: report.date:"), message


def test_wrong_type_for_the_date_column_names_columns_date(tmp_path):
    """`columns.date: [1, 2]` must be reported against columns.date, not against 'columns'."""
    text = MINIMAL + "  date: [1, 2]\n"
    message = one_problem(project(tmp_path, text))
    assert message.startswith("cxreport.yaml, line 7: columns.date:"), message


def test_wrong_type_for_sheet_names_only_real_keys(tmp_path):
    """The key path shown must be one the user wrote (survey.sheet), not a pydantic branch name."""
    text = MINIMAL.replace("  file: data.csv\n", "  file: data.csv\n  sheet: [1]\n")
    found = problems_of(project(tmp_path, text))
    assert found
    for problem in found:
        assert problem.startswith("cxreport.yaml, line 5: survey.sheet:"), problem


def test_impossible_calendar_date_is_a_config_error(tmp_path):
    """`start: 2026-13-01` must give a ConfigError naming the file, not a Python traceback."""
    text = MINIMAL + "report:\n  fieldwork:\n    start: 2026-13-01\n"
    with pytest.raises(ConfigError) as info:
        load_project(project(tmp_path, text))
    assert "cxreport.yaml" in info.value.format_message()


# --------------------------------------------------------------------------- several problems


def test_several_problems_are_reported_together(tmp_path):
    """Fixing one mistake at a time is slow: every problem must be listed in one error."""
    text = """\
client:
  nam: Acme
brand:
  primary: blue
  font: Comic Sans
survey:
  file: data.csv
columns:
  nps: q_nps
bases:
  flag_below: many
"""
    with pytest.raises(ConfigError) as info:
        load_project(project(tmp_path, text))
    err = info.value
    assert err.message == "cxreport.yaml: 5 problems in the settings file"
    joined = "\n".join(err.problems)
    assert "line 2: client.nam: unknown key (did you mean 'name'?)" in joined
    assert "client: missing required key 'name'" in joined
    assert "line 4: brand.primary: 'blue' is not a hex colour" in joined
    assert "line 5: brand.font: 'Comic Sans' is not allowed" in joined
    assert "line 11: bases.flag_below:" in joined
    formatted = err.format_message()
    assert all(p in formatted for p in err.problems)


# --------------------------------------------------------------------------- brand


@pytest.mark.parametrize("colour", ["'#12345'", "blue", "'#GGGGGG'", "'0B3C5D'", "'#0B3C5D0'"])
def test_bad_hex_colour(tmp_path, colour):
    """A colour that is not #RGB or #RRGGBB is refused before it breaks the report's styling."""
    text = MINIMAL + f"brand:\n  primary: {colour}\n"
    message = one_problem(project(tmp_path, text))
    assert message.startswith("cxreport.yaml, line 8: brand.primary:")
    assert "is not a hex colour like #0B3C5D" in message


def test_short_hex_colour_is_expanded(tmp_path):
    """#abc is accepted and normalised to #AABBCC."""
    loaded = load_project(project(tmp_path, MINIMAL + "brand:\n  accent: '#abc'\n"))
    assert loaded.brand.accent == "#AABBCC"


def test_font_not_in_the_list(tmp_path):
    """A font that is not installed must be refused, listing the fonts that work."""
    message = one_problem(project(tmp_path, MINIMAL + "brand:\n  font: Lato2\n"))
    assert message.startswith("cxreport.yaml, line 8: brand.font: 'Lato2' is not allowed")
    assert "'Open Sans'" in message and "'Liberation Sans'" in message
    assert "(did you mean 'Lato'?)" in message


def test_font_far_from_any_choice_lists_the_choices(tmp_path):
    """A font that resembles none of the choices still lists the fonts that work."""
    message = one_problem(project(tmp_path, MINIMAL + "brand:\n  font: Comic Sans MS\n"))
    assert "'Roboto'" in message and "did you mean" not in message


# --------------------------------------------------------------------------- paths


def test_path_escaping_the_project_folder_is_refused(tmp_path):
    """`../data.csv` could read any file on the machine: refused unless the user allows it."""
    (tmp_path / "data.csv").write_text("id,q_nps\n1,9\n", encoding="utf-8")
    path = project(tmp_path, MINIMAL.replace("file: data.csv", "file: ../data.csv"))
    message = one_problem(path)
    assert message.startswith("cxreport.yaml, line 4: survey.file: '../data.csv' is outside the project folder")

    loaded = load_project(path, allow_outside=True)
    assert loaded.survey.file == (tmp_path / "data.csv").resolve()


def test_path_escaping_through_a_subfolder_is_refused(tmp_path):
    """`sub/../../data.csv` leaves the folder too and is refused."""
    (tmp_path / "data.csv").write_text("id,q_nps\n1,9\n", encoding="utf-8")
    path = project(tmp_path, MINIMAL.replace("file: data.csv", "file: sub/../../data.csv"))
    assert "is outside the project folder" in one_problem(path)


def test_absolute_path_outside_is_refused(tmp_path):
    """An absolute path outside the project is refused unless allowed."""
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("id,q_nps\n1,9\n", encoding="utf-8")
    path = project(tmp_path, MINIMAL.replace("file: data.csv", f"file: '{outside}'"))
    assert "is outside the project folder" in one_problem(path)
    assert load_project(path, allow_outside=True).survey.file == outside.resolve()


def test_narrative_file_escaping_the_folder_is_refused(tmp_path):
    """Narrative markdown files are held to the same folder rule as the data."""
    (tmp_path / "notes.md").write_text("# hi\n", encoding="utf-8")
    text = MINIMAL + "report:\n  narrative:\n    executive_summary: ../notes.md\n"
    message = one_problem(project(tmp_path, text))
    assert message.startswith("cxreport.yaml, line 9: report.narrative.executive_summary:")
    assert "outside the project folder" in message


# --------------------------------------------------------------------------- missing files


def test_missing_project_file(tmp_path):
    """A wrong project path says the project file was not found."""
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path / "nowhere" / "cxreport.yaml")
    assert "project file not found" in info.value.message


def test_missing_data_file(tmp_path):
    """A data file that does not exist is named with its key and line."""
    path = project(tmp_path, MINIMAL.replace("file: data.csv", "file: responses.csv"))
    assert one_problem(path) == "cxreport.yaml, line 4: survey.file: file not found: responses.csv"


def test_data_file_that_is_a_folder(tmp_path):
    """A folder given as the survey file is refused clearly."""
    path = project(tmp_path, MINIMAL.replace("file: data.csv", "file: sub"))
    (path.parent / "sub").mkdir()
    assert "survey.file: not a file: sub" in one_problem(path)


def test_unsupported_data_file_type(tmp_path):
    """A Stata .dta file is refused with the supported types named."""
    path = project(tmp_path, MINIMAL.replace("file: data.csv", "file: data.dta"))
    (path.parent / "data.dta").write_bytes(b"<stata_dta>")
    message = one_problem(path)
    assert "survey" in message and "unsupported survey file type '.dta'" in message
    assert ".sav" in message and ".parquet" in message


# --------------------------------------------------------------------------- logo


def test_logo_that_is_not_an_image(tmp_path):
    """A .png that holds text would break the PDF cover: refused up front."""
    text = MINIMAL.replace("  name: Acme\n", "  name: Acme\n  logo: logo.png\n")
    path = project(tmp_path, text)
    (path.parent / "logo.png").write_text("this is not a picture", encoding="utf-8")
    assert one_problem(path) == "cxreport.yaml, line 3: client.logo: logo.png: not a valid image file"


def test_logo_with_the_wrong_extension(tmp_path):
    """A PNG saved as logo.jpg is caught before the PDF embeds it with the wrong type."""
    text = MINIMAL.replace("  name: Acme\n", "  name: Acme\n  logo: logo.jpg\n")
    path = project(tmp_path, text)
    shutil.copy(SAMPLE / "brand" / "logo.png", path.parent / "logo.jpg")
    assert "file extension says JPEG but the file is PNG" in one_problem(path)


def test_real_logo_is_accepted(tmp_path):
    """A real PNG logo loads."""
    text = MINIMAL.replace("  name: Acme\n", "  name: Acme\n  logo: brand/logo.png\n")
    path = project(tmp_path, text)
    (path.parent / "brand").mkdir()
    shutil.copy(SAMPLE / "brand" / "logo.png", path.parent / "brand" / "logo.png")
    assert load_project(path).client.logo.name == "logo.png"


def test_missing_logo(tmp_path):
    """A logo file that does not exist is named with its key and line."""
    text = MINIMAL.replace("  name: Acme\n", "  name: Acme\n  logo: logo.png\n")
    assert one_problem(project(tmp_path, text)) == "cxreport.yaml, line 3: client.logo: logo file not found: logo.png"


# --------------------------------------------------------------------------- duplicate keys and aliases


def test_duplicate_top_level_key(tmp_path):
    """A second `client:` block would silently replace the first; refuse it with its line."""
    message = one_problem(project(tmp_path, MINIMAL + "client:\n  name: Other\n"))
    assert message == "cxreport.yaml, line 7, column 1: invalid YAML: duplicate key 'client'"


def test_duplicate_nested_key(tmp_path):
    """A key repeated inside a block is refused with its line and column."""
    text = MINIMAL.replace("  name: Acme\n", "  name: Acme\n  name: Other\n")
    message = one_problem(project(tmp_path, text))
    assert message == "cxreport.yaml, line 3, column 3: invalid YAML: duplicate key 'name'"


def test_alias_bomb_is_refused_quickly(tmp_path):
    """A 'billion laughs' file must be refused in well under a second, not eat the machine's memory."""
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 9):
        prev, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = project(tmp_path, "\n".join(lines) + "\n")
    start = time.perf_counter()
    message = one_problem(path)
    assert time.perf_counter() - start < 1.0
    assert "expands to more than" in message and "aliases" in message
    assert message.startswith("cxreport.yaml:")


def test_alias_bomb_inside_a_real_setting_is_refused(tmp_path):
    """An alias bomb hidden under real settings is refused just as quickly."""
    lines = [MINIMAL.rstrip("\n"), "missing_codes: &m0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    for level in range(1, 7):
        lines.append(f"x{level}: &m{level} [" + ", ".join([f"*m{level - 1}"] * 10) + "]")
    start = time.perf_counter()
    message = one_problem(project(tmp_path, "\n".join(lines) + "\n"))
    assert time.perf_counter() - start < 1.0
    assert "expands to more than" in message


def test_ordinary_aliases_are_allowed(tmp_path):
    """Ordinary YAML anchors and aliases still work (only the unknown key is reported)."""
    text = MINIMAL + "missing_codes: &codes [98, 99]\ncolumns_copy_ignored: *codes\n"
    # the alias itself is fine; only the unknown key is reported
    assert "columns_copy_ignored: unknown key" in one_problem(project(tmp_path, text))


def test_recursive_alias_names_the_file(tmp_path):
    """A self-referencing alias is refused with a message that says which file is wrong."""
    message = one_problem(project(tmp_path, "a: &a [*a]\n"))
    assert "recursive YAML alias" in message
    assert message.startswith("cxreport.yaml"), message


# --------------------------------------------------------------------------- targets


def test_target_naming_an_unknown_attribute_has_did_you_mean(tmp_path):
    """A target on a misspelt attribute is reported with the mapped name, not silently dropped."""
    text = MINIMAL + """\
  attributes:
    Waiting time: q_nps
targets:
  attributes:
    Wating time: 3.8
"""
    message = one_problem(project(tmp_path, text))
    assert message == ("cxreport.yaml, line 11: targets.attributes.Wating time: no attribute of that name "
                       "in columns.attributes (did you mean 'Waiting time'?)")


def test_target_naming_an_unknown_segment_has_did_you_mean(tmp_path):
    """A per-segment target on a misspelt segment is reported with the mapped name."""
    text = MINIMAL + """\
  segments:
    Region: region
targets:
  nps:
    value: 30
    segments:
      Regoin: {North: 20}
"""
    message = one_problem(project(tmp_path, text))
    assert message == ("cxreport.yaml, line 13: targets.nps.segments.Regoin: no segment of that name "
                       "in columns.segments (did you mean 'Region'?)")


def test_target_for_a_kpi_that_is_not_mapped(tmp_path):
    """A CSAT target without a CSAT column is reported."""
    message = one_problem(project(tmp_path, MINIMAL + "targets:\n  csat: 80\n"))
    assert message == "cxreport.yaml, line 8: targets.csat: a target is set but columns.csat is not mapped"


def test_negative_tolerance_is_refused(tmp_path):
    """A negative amber tolerance is refused with its key and line."""
    message = one_problem(project(tmp_path, MINIMAL + "targets:\n  nps: {value: 30, tolerance: -5}\n"))
    assert message.startswith("cxreport.yaml, line 8: targets.nps.tolerance:")


# --------------------------------------------------------------------------- other settings


def test_flag_below_lower_than_suppress_below(tmp_path):
    """Inconsistent small-base thresholds are refused."""
    message = one_problem(project(tmp_path, MINIMAL + "bases:\n  suppress_below: 60\n"))
    assert "flag_below must not be lower than suppress_below" in message


def test_unknown_encoding(tmp_path):
    """A codec name Python does not know is refused up front, not when the data is read."""
    text = MINIMAL.replace("  file: data.csv\n", "  file: data.csv\n  encoding: klingon\n")
    assert one_problem(project(tmp_path, text)) == "cxreport.yaml, line 5: survey.encoding: unknown encoding 'klingon'"


def test_nothing_to_score(tmp_path):
    """A project that maps no KPI or attribute is refused with a plain message."""
    text = MINIMAL.replace("  nps: q_nps\n", "  segments:\n    Region: region\n")
    assert "map at least one of nps, csat, ces, acsi or attributes" in one_problem(project(tmp_path, text))


def test_fiscal_year_start_as_month_name(tmp_path):
    """`fiscal_year_start: April` is accepted; 13 is refused with its line."""
    loaded = load_project(project(tmp_path, MINIMAL + "periods:\n  fiscal_year_start: April\n"))
    assert loaded.periods.fiscal_year_start == 4
    message = one_problem(project(tmp_path, MINIMAL + "periods:\n  fiscal_year_start: 13\n", name="p13"))
    assert message.startswith("cxreport.yaml, line 8: periods.fiscal_year_start:")


def test_attribute_scale_must_increase(tmp_path):
    """A scale written backwards (5-1) is refused with its key and line."""
    text = MINIMAL + "  attributes:\n    Wait: {column: q_nps, scale: 5-1}\n"
    message = one_problem(project(tmp_path, text))
    assert message.startswith("cxreport.yaml, line 8: columns.attributes.Wait.scale:")
