"""Which survey files can be read and which ``survey.format`` fits which file (no heavy imports:
the project-file schema uses it too)."""

from __future__ import annotations

from pathlib import Path

#: File extension → kind of file.
SUFFIX_KIND = {
    ".csv": "csv", ".txt": "csv",
    ".xlsx": "excel", ".xlsm": "excel",
    ".sav": "spss", ".zsav": "spss",
    ".parquet": "parquet",
}
SUPPORTED = ".csv, .txt, .xlsx, .xlsm, .sav, .zsav or .parquet"

#: ``survey.format`` values and the kinds of file each applies to.
FORMATS = ("auto", "csv", "excel", "qualtrics", "surveymonkey", "spss", "parquet")
FORMAT_KINDS = {
    "csv": ("csv",), "excel": ("excel",), "qualtrics": ("csv", "excel"), "surveymonkey": ("csv", "excel"),
    "spss": ("spss",), "parquet": ("parquet",),
}
#: Kinds of file made of text rows (a header row, title rows above it, platform header rows).
ROW_KINDS = ("csv", "excel")


def file_kind(path: Path) -> str | None:
    return SUFFIX_KIND.get(path.suffix.lower())


def format_problem(path: Path, fmt: str = "auto", header_row: int = 1, encoding: str = "auto",
                   sheet: object = None) -> str | None:
    """Why ``path`` cannot be read with these settings, or None."""
    if path.is_dir():     # a folder of Parquet partitions, scored streamed (docs/batch.md)
        if fmt not in ("auto", "parquet") or header_row != 1 or encoding != "auto" or sheet is not None:
            return "a folder of Parquet partitions takes no format, header_row, encoding or sheet settings"
        return None
    kind = file_kind(path)
    if kind is None:
        return f"unsupported survey file type '{path.suffix}' (use {SUPPORTED})"
    if fmt != "auto" and kind not in FORMAT_KINDS[fmt]:
        wants = " or ".join(FORMAT_KINDS[fmt])
        return f"format '{fmt}' needs a {wants} file, not '{path.suffix}'"
    if header_row != 1 and kind not in ROW_KINDS:
        return f"header_row applies to CSV and Excel files, not to '{path.suffix}'"
    if encoding != "auto" and kind != "csv":
        return f"encoding applies to CSV files only ({path.suffix} files say their own encoding)"
    if sheet is not None and kind != "excel":
        return f"sheet applies to Excel workbooks, not to '{path.suffix}'"
    return None
