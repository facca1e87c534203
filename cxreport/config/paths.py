"""Paths named in a project file: relative to the file, kept inside the project folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def resolve_in_project(value: str | Path, context: dict[str, Any] | None, *, what: str = "file",
                       must_exist: bool = True, directory: bool = False) -> Path:
    """Resolve ``value`` against the project folder and check it.

    Raises ``ValueError`` (turned into a config problem by pydantic) when the path leaves
    the project folder (unless the user allowed it) or does not exist.
    """
    ctx = context or {}
    base = Path(ctx.get("base_dir", ".")).resolve()
    raw = Path(str(value)).expanduser()
    path = (raw if raw.is_absolute() else base / raw).resolve()
    if not ctx.get("allow_outside", False) and not path.is_relative_to(base):
        raise ValueError(
            f"'{value}' is outside the project folder {base} "
            "(use --allow-outside-paths to permit this)")
    if must_exist:
        if not path.exists():
            raise ValueError(f"{what} not found: {value}")
        if directory and not path.is_dir():
            raise ValueError(f"not a folder: {value}")
        if not directory and not path.is_file():
            raise ValueError(f"not a file: {value}")
    return path


def display_path(path: Path, base: Path) -> str:
    """``path`` as the user wrote it: relative to the project folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path(base).resolve()))
    except ValueError:
        return str(path)
