"""``cxreport init``: a new project folder from the packaged starter."""

from __future__ import annotations

import shutil
from pathlib import Path

from cxreport.errors import CxError
from cxreport.resources import templates_dir


def create_project(directory: Path) -> Path:
    """Copy the starter project into ``directory`` (new or empty); return the project file."""
    starter = templates_dir() / "starter"
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise CxError(f"{target} exists and is not a folder")
    for existing in (target / "cxreport.yaml", target / "data" / "responses.csv"):
        if existing.exists():
            raise CxError(f"{existing} already exists; not overwriting it (choose a new folder)")
    try:
        target.mkdir(parents=True, exist_ok=True)
        (target / "data").mkdir(exist_ok=True)
        shutil.copyfile(starter / "cxreport.yaml", target / "cxreport.yaml")
        shutil.copyfile(starter / "data" / "responses.csv", target / "data" / "responses.csv")
    except OSError as exc:
        raise CxError(f"cannot create the project in {target}: {exc.strerror}") from None
    return target / "cxreport.yaml"
