"""Blank scoresheets (`cxreport shop template`): an XLSX per programme, wave and location
that a shopper fills in and `cxreport shop submit` takes back.

Layout (docs/scoresheets.md, "The blank scoresheet"), on the sheet ``Scoresheet``:

- rows 1–3: title, what the workbook is for (wave, location, questionnaire version), legend;
- the visit block: one row per visit field — id in column A, label in B, value in C, a
  hint in D. Wave, location and channel are filled in and locked; visit id, shopper id,
  date, start and end time and general comments are to be filled in;
- the items: a header row, then per section a title row and one row per item that applies
  to the location's channel — item id (A), question (B), answer (C: a drop-down list of the
  allowed answers where the item has a fixed list, N/A only where the item allows it),
  allowed answers in words (D), comment (E) and evidence files (F).

Cells to fill in are unlocked (amber when required, pale yellow when optional, with a
legend); everything else is locked (sheet protection without a password: it keeps the
layout from being changed by accident, not a security boundary). A very hidden sheet
``cxreport`` records what the workbook is (format, programme, questionnaire version, wave,
location, channel) and which row holds which field and item; the defined name
``cxreport_template`` marks the workbook, which is how `shop submit` recognises it.

Reading one back: the usual XLSX limits first (:func:`cxreport.shop.intake.check_xlsx_scoresheet`
for the first sheet, :func:`cxreport.load.limits.check_xlsx` for the marker sheet), then
the layout (every field and item still in the row the marker says, nothing added below),
the version (the programme's current one), the pre-filled fields (unchanged) and every
answer against its item: a cell whose drop-down answer was overwritten with free text
rejects the file naming the sheet and cell (``Scoresheet!C21: 'yess' is not an answer to
item A1 (yes, no)``). What passes becomes one :class:`~cxreport.shop.intake.Visit` that
goes through the usual intake checks.
"""

from __future__ import annotations

import io
import re
import zipfile

from cxreport.shop.intake import FileError, Visit, Answer, _cell, check_xlsx_scoresheet, printable
from cxreport.shop.programme import Item, Location, ProgrammeFile, Wave
from cxreport.shop.scoring import AnswerError, parse_answer

FORMAT = "cxreport-shop-template/1"
MARKER_NAME = "cxreport_template"
MARKER_SHEET = "cxreport"
LISTS_SHEET = "Lists"
SHEET = "Scoresheet"
#: Rows of the marker sheet read at most (fields, items and a few keys).
MAX_MARKER_ROWS = 5_000

COLUMNS = ("Id", "Question", "Answer", "Allowed answers", "Comment", "Evidence files")
WIDTHS = (10, 60, 20, 34, 36, 24)
REQUIRED_FILL = "FFD966"     # amber: a required cell
OPTIONAL_FILL = "FFF6D5"     # pale yellow: an optional cell
FIXED_FILL = "E7E6E6"        # grey: filled in by the template
SECTION_FILL = "D9E2F3"

#: (field, label, required, hint) of the visit block, in order.
VISIT_ROWS = (
    ("visit_id", "Visit id", True, "as the agency assigned it, e.g. V-W1-0001"),
    ("location_id", "Location", True, ""),
    ("wave", "Wave", True, ""),
    ("channel", "Channel", True, ""),
    ("shopper_id", "Shopper id", True, "your shopper id"),
    ("visit_date", "Visit date", True, ""),
    ("start_time", "Start time", False, "HH:MM"),
    ("end_time", "End time", False, "HH:MM, after the start time"),
    ("comments", "General comments", False, "what happened, in your words"),
)


def _na(item: Item) -> list[str]:
    return ["N/A"] if item.na_allowed else []


def choices(item: Item) -> list[str] | None:
    """The drop-down list of an item (None: the answer is not one of a fixed list)."""
    if item.type == "yes_no":
        return ["yes", "no"] + _na(item)
    if item.type == "scale":
        return [o.label for o in item.options] + _na(item)
    return None


def allowed_text(prog: ProgrammeFile, item: Item) -> str:
    """The allowed answers in words, as the workbook and its error messages give them."""
    na = ", N/A" if item.na_allowed else ""
    listed = choices(item)
    if listed is not None:
        return ", ".join(listed)
    if item.type == "multi_check":
        opts = "; ".join(f"{o.id} = {o.label}" if o.id else o.label for o in item.options)
        return f"any of {opts}, separated by ';', or none{na}"
    if item.type == "numeric":
        limit, direction = prog.threshold(item)
        unit = f" {item.unit}" if item.unit else ""
        word = "at most" if direction == "at_most" else "at least"
        return f"a number{unit} (passes at {word} {limit:g}){na}"
    return "free text" + na


def applies_to(item: Item, channel: str) -> bool:
    return not channel or not item.channels or channel.lower() in [c.lower() for c in item.channels]


def _channels(prog: ProgrammeFile) -> list[str]:
    found = [loc.channel.lower() for loc in prog.location_list if loc.channel]
    found += [c.lower() for _s, i in prog.questionnaire.items() for c in i.channels]
    return sorted(dict.fromkeys(found))


def file_name(wave: Wave, location: Location) -> str:
    from cxreport.shop.intake import visit_file_stem

    return f"scoresheet-{visit_file_stem(wave.id)}-{visit_file_stem(location.id)}.xlsx"


def build_template(prog: ProgrammeFile, wave: Wave, location: Location) -> bytes:
    """The blank scoresheet of ``location`` in ``wave`` as XLSX bytes."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    from cxreport.textclean import for_xml

    def text(value) -> str:        # text from the programme, XML-safe (and never a formula: see below)
        return for_xml(str(value))

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = SHEET
    lists = book.create_sheet(LISTS_SHEET)
    marker = book.create_sheet(MARKER_SHEET)
    bold = Font(bold=True)
    thin = Side(style="thin", color="BFBFBF")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = {k: PatternFill("solid", fgColor=v) for k, v in
            (("required", REQUIRED_FILL), ("optional", OPTIONAL_FILL), ("fixed", FIXED_FILL), ("section", SECTION_FILL))}
    wrap = Alignment(wrap_text=True, vertical="top")
    unlocked = Protection(locked=False)
    channel = (location.channel or "").lower()
    version = prog.questionnaire.version

    ws["A1"] = text(f"{prog.programme.name} — mystery shop scoresheet")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = text(f"{wave.name} ({wave.id}, {wave.start} to {wave.end}) · {location.name} ({location.id}) · "
                    f"questionnaire version {version}")
    ws["A3"] = "Fill in:"
    ws["B3"] = "amber cells are required, pale yellow cells optional; choose answers from the drop-down lists"
    ws["C3"], ws["D3"], ws["E3"] = "required", "optional", "filled in for you"
    for ref, kind in (("C3", "required"), ("D3", "optional"), ("E3", "fixed")):
        ws[ref].fill = fill[kind]
        ws[ref].border = box

    marks: list[tuple[str, str]] = [("format", FORMAT), ("programme", prog.programme.name), ("version", version),
                                    ("wave", wave.id), ("location", location.id), ("channel", channel)]
    validations: list[DataValidation] = []

    def drop_down(cell: str, values: list[str], column: int, what: str) -> None:
        for k, v in enumerate(values, start=1):
            lists.cell(row=k, column=column, value=text(v))
        letter = openpyxl.utils.get_column_letter(column)
        dv = DataValidation(type="list", formula1=f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(values)}",
                            allow_blank=True, showErrorMessage=True, errorTitle="Not an allowed answer",
                            error=f"Choose {what} from the list.")
        dv.add(cell)
        validations.append(dv)

    row = 5
    ws.cell(row=row, column=1, value="Visit").font = bold
    fixed = {"location_id": (location.id, location.name), "wave": (wave.id, f"{wave.name}: {wave.start} to {wave.end}"),
             "channel": (channel, "") if channel else None}
    list_column = 1
    for field, label, required, hint in VISIT_ROWS:
        row += 1
        ws.cell(row=row, column=1, value=field)
        ws.cell(row=row, column=2, value=label + (" *" if required else ""))
        value_cell = ws.cell(row=row, column=3)
        value_cell.border = box
        if fixed.get(field):
            value_cell.value = text(fixed[field][0])
            value_cell.fill = fill["fixed"]
            hint = fixed[field][1]
        else:
            value_cell.fill = fill["required" if required else "optional"]
            value_cell.protection = unlocked
        if field == "channel" and not channel:
            drop_down(value_cell.coordinate, _channels(prog) or ["branch"], list_column, "the channel")
            list_column += 1
            hint = "the channel of the visit"
        if field == "visit_date":
            value_cell.number_format = "yyyy-mm-dd"
            hint = f"YYYY-MM-DD, {wave.start} to {wave.end}"
            dv = DataValidation(type="date", operator="between", formula1=f"DATE({wave.start.year},{wave.start.month},"
                                f"{wave.start.day})", formula2=f"DATE({wave.end.year},{wave.end.month},{wave.end.day})",
                                allow_blank=True, showErrorMessage=True, errorTitle="Not in the wave",
                                error=f"A date from {wave.start} to {wave.end}.")
            dv.add(value_cell.coordinate)
            validations.append(dv)
        if field in ("start_time", "end_time"):
            value_cell.number_format = "hh:mm"
        ws.cell(row=row, column=4, value=text(hint) if hint else None).alignment = wrap
        marks.append((f"field:{field}", str(row)))

    row += 2
    for column, name in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=row, column=column, value=name)
        cell.font = bold
        cell.border = box
    header_row = row
    for section in prog.questionnaire.sections:
        items = [i for i in section.items if applies_to(i, channel)]
        if not items:
            continue
        row += 1
        ws.cell(row=row, column=1, value=text(section.id)).font = bold
        ws.cell(row=row, column=2, value=text(section.title)).font = bold
        for column in range(1, len(COLUMNS) + 1):
            ws.cell(row=row, column=column).fill = fill["section"]
        for item in items:
            row += 1
            required = item.required
            ws.cell(row=row, column=1, value=text(item.id))
            question = item.text + (" *" if required else "")
            flags = [w for w, on in (("critical", item.critical is not None), ("bonus", item.bonus),
                                     ("comment needed if it fails", item.comment_required_on_fail),
                                     ("evidence needed", item.evidence_required)) if on]
            if flags:
                question += f" ({'; '.join(flags)})"
            ws.cell(row=row, column=2, value=text(question)).alignment = wrap
            answer = ws.cell(row=row, column=3)
            answer.fill = fill["required" if required else "optional"]
            answer.protection = unlocked
            answer.border = box
            ws.cell(row=row, column=4, value=text(allowed_text(prog, item))).alignment = wrap
            for column, needed in ((5, False), (6, item.evidence_required)):
                cell = ws.cell(row=row, column=column)
                cell.fill = fill["required" if needed else "optional"]
                cell.protection = unlocked
                cell.border = box
                cell.alignment = wrap
            listed = choices(item)
            if listed is not None:
                drop_down(answer.coordinate, listed, list_column, f"an answer to item {item.id}")
                list_column += 1
            elif item.type == "numeric" and not item.na_allowed:
                dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                    showErrorMessage=True, errorTitle="Not a number",
                                    error=f"Item {item.id} takes a number.")
                dv.add(answer.coordinate)
                validations.append(dv)
            marks.append((f"item:{item.id}", str(row)))
    marks.append(("last_row", str(row)))
    for dv in validations:
        ws.add_data_validation(dv)
    for column, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(column)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.protection.sheet = True
    ws.protection.formatColumns = False        # column widths may still be changed
    ws.protection.formatRows = False

    for k, (key, value) in enumerate(marks, start=1):
        marker.cell(row=k, column=1, value=key)
        marker.cell(row=k, column=2, value=text(value))
    marker.sheet_state = "veryHidden"
    marker.protection.sheet = True
    lists.sheet_state = "hidden"
    lists.protection.sheet = True
    for sheet in (ws, lists, marker):
        # Text that starts with '=' stays text (openpyxl would write it as a formula), so that
        # ids and answers come back exactly as written and nothing is ever evaluated.
        for line in sheet.iter_rows():
            for cell in line:
                if cell.data_type == "f":
                    cell.data_type = "s"
    book.defined_names[MARKER_NAME] = DefinedName(MARKER_NAME, attr_text=f"'{MARKER_SHEET}'!$B$1")
    book.security.lockStructure = True
    book.properties.creator = "cxreport"
    book.properties.title = f"{prog.programme.name}: scoresheet {wave.id} {location.id}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def templates(prog: ProgrammeFile, wave: str | None = None, locations: list[str] | None = None
              ) -> dict[str, bytes]:
    """File name → workbook, one per wave (``wave`` or every wave) and location
    (``locations`` or every location); unknown ids are a one-line error."""
    from cxreport.errors import CxError
    from cxreport.util import did_you_mean

    if wave is not None and prog.wave(wave) is None:
        raise CxError(f"unknown wave '{printable(wave)}' (waves: {', '.join(w.id for w in prog.waves)})")
    known = {loc.id: loc for loc in prog.location_list}
    for loc in locations or []:
        if loc not in known:
            raise CxError(f"unknown location '{printable(loc)}'{did_you_mean(loc, known)}")
    if not known:
        raise CxError("the programme lists no locations (locations.file or locations.items)")
    waves = [prog.wave(wave)] if wave is not None else list(prog.waves)
    chosen = [known[i] for i in dict.fromkeys(locations)] if locations else list(known.values())
    return {file_name(w, loc): build_template(prog, w, loc) for w in waves for loc in chosen}


# --------------------------------------------------------------------------- reading back

_DEFINED = re.compile(rb'<definedName\b[^>]*\bname="' + MARKER_NAME.encode() + rb'"')


def is_template(raw: bytes) -> bool:
    """Whether an XLSX is a blank scoresheet from `shop template` (its workbook part
    defines the name ``cxreport_template``). Reads at most 1 MB of that one part, and only
    from a zip whose directory announces no more parts than a scoresheet may have (any
    other is left to the scoresheet checks, which refuse it)."""
    from cxreport.load.limits import _parts_in_directory

    from cxreport.shop.intake import MAX_XLSX_PARTS

    buffer = io.BytesIO(raw)
    announced = _parts_in_directory(buffer)
    if announced is None or announced > MAX_XLSX_PARTS:
        return False
    try:
        with zipfile.ZipFile(buffer) as archive:
            try:
                info = archive.getinfo("xl/workbook.xml")
            except KeyError:
                return False
            with archive.open(info) as part:
                head = part.read(1_000_000)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        return False
    return _DEFINED.search(head) is not None


def read_template(prog: ProgrammeFile, name: str, raw: bytes) -> list[Visit]:
    """The one visit of a filled-in blank scoresheet; :class:`FileError` naming the sheet and
    cell when its layout was changed or an answer is not one the item takes."""
    import openpyxl

    from cxreport.load.limits import InputLimitError, check_xlsx

    rows, columns = check_xlsx_scoresheet(raw)
    try:
        check_xlsx(raw, MARKER_SHEET, max_cells=MAX_MARKER_ROWS * 4)
    except InputLimitError as exc:
        raise FileError(printable(str(exc))) from None
    try:
        # Formulas as written (never evaluated): '=HYPERLINK(…)' in an answer cell is not an answer.
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
        try:
            names = book.sheetnames
            if MARKER_SHEET not in names or not names or names[0] != SHEET:
                raise FileError(f"made as a blank scoresheet, but its sheets were changed (the first must be "
                                f"'{SHEET}'; found {', '.join(printable(n) for n in names[:5])}); fill in a fresh one "
                                "(cxreport shop template)")
            marks: dict[str, str] = {}
            for key, value, *_rest in book[MARKER_SHEET].iter_rows(max_row=MAX_MARKER_ROWS, max_col=2,
                                                                   values_only=True):
                if key is not None:
                    marks[str(key)] = _cell(value)
            grid = [[_cell(v) for v in r] for r in book[SHEET].iter_rows(max_row=max(rows, 1), max_col=max(columns, 6),
                                                                          values_only=True)]
        finally:
            book.close()
    except FileError:
        raise
    except Exception as exc:   # whatever a malformed workbook makes openpyxl raise
        raise FileError(f"not a readable XLSX workbook ({type(exc).__name__})") from None
    return [_visit(prog, name, marks, grid)]


def _visit(prog: ProgrammeFile, name: str, marks: dict[str, str], grid: list[list[str]]) -> Visit:
    def cell(row: int, column: int) -> str:
        if 1 <= row <= len(grid) and column <= len(grid[row - 1]):
            return grid[row - 1][column - 1]
        return ""

    def ref(row: int, column: int) -> str:
        return f"{SHEET}!{'ABCDEF'[column - 1]}{row}"

    if marks.get("format") != FORMAT:
        raise FileError(f"a blank scoresheet of an unknown format ({printable(marks.get('format', '?'))}); fill in "
                        "a fresh one (cxreport shop template)")
    version = prog.questionnaire.version
    if marks.get("version") != version:
        raise FileError(f"made for questionnaire version {printable(marks.get('version', '?'))}, but the programme "
                        f"now uses {version}; fill in a fresh blank scoresheet (cxreport shop template)")
    layout: list[tuple[str, str, int]] = []
    for key, value in marks.items():
        kind, _sep, ident = key.partition(":")
        if kind in ("field", "item"):
            try:
                layout.append((kind, ident, int(value)))
            except ValueError:
                raise FileError(f"its hidden sheet '{MARKER_SHEET}' was changed ({printable(key)}); fill in a "
                                "fresh blank scoresheet (cxreport shop template)") from None
    moved = "rows were moved, inserted or deleted; fill in a fresh blank scoresheet (cxreport shop template)"
    for kind, ident, row in layout:
        found = cell(row, 1)
        if found != ident:
            what = "field" if kind == "field" else "item"
            raise FileError(f"{ref(row, 1)}: expected {what} {printable(ident)} here, found "
                            f"'{printable(found[:40])}': {moved}")
    last = max((row for _k, _i, row in layout), default=0)
    for row in range(last + 1, len(grid) + 1):
        extra = next((c for c in range(1, 7) if cell(row, c)), None)
        if extra is not None:
            raise FileError(f"{ref(row, extra)}: '{printable(cell(row, extra)[:40])}' below the last item; a blank "
                            "scoresheet holds nothing below it (add remarks to the comment cells)")
    fields = {ident: row for kind, ident, row in layout if kind == "field"}
    values = {f: cell(row, 3) for f, row in fields.items()}
    for f in ("wave", "location_id"):
        expected = marks.get("wave" if f == "wave" else "location", "")
        if f in fields and values[f] != expected:
            raise FileError(f"{ref(fields[f], 3)}: {f} '{printable(values[f])}' differs from '{printable(expected)}' "
                            "this scoresheet was made for; fill in the blank scoresheet of that wave and location")
    if marks.get("channel") and "channel" in fields and values["channel"].lower() != marks["channel"]:
        raise FileError(f"{ref(fields['channel'], 3)}: channel '{printable(values['channel'])}' differs from "
                        f"'{printable(marks['channel'])}' this scoresheet was made for")
    visit = Visit(**{f: values.get(f, "") for f in ("visit_id", "location_id", "shopper_id", "wave", "channel",
                                                   "visit_date", "start_time", "end_time")},
                  comments=values.get("comments", ""), where=SHEET)
    problems: list[str] = []
    known = {i.id: i for _s, i in prog.questionnaire.items()}
    for kind, ident, row in layout:
        if kind != "item":
            continue
        value, comment, evidence = cell(row, 3), cell(row, 5), cell(row, 6)
        visit.answers[ident] = Answer(value, comment, evidence)
        item = known.get(ident)
        if item is None or not value:
            continue                       # an unknown item or a missing answer: the intake checks say so
        try:
            parse_answer(item, value, prog.threshold(item) if item.type == "numeric" else None)
        except AnswerError:
            problems.append(f"{ref(row, 3)}: '{printable(value[:60])}' is not an answer to item {ident} "
                            f"({allowed_text(prog, item)})")
    if problems:
        raise FileError("; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else ""))
    return visit
