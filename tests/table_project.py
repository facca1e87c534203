"""A project folder from a table of rows (shared by the scoring tests)."""

import csv
from pathlib import Path

import yaml


def write_project(folder: Path, columns: dict, header: list[str], rows: list[list], **extra) -> Path:
    """A project folder with data.csv and cxreport.yaml; returns the project file."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "data.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    config = {"client": {"name": "Test client"}, "survey": {"file": "data.csv"}, "columns": columns}
    config.update(extra)
    path = folder / "cxreport.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
