"""Where the templates, theme assets and bundled samples are at run time.

In a wheel they are copied into ``cxreport/_data/`` (see ``pyproject.toml``); in a source
checkout or an editable install they are the repository's top-level ``templates/`` and
``samples/`` folders.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cxreport is missing its '{name}' folder; reinstall the package")


@cache
def templates_dir() -> Path:
    return _find("templates")


@cache
def samples_dir() -> Path:
    return _find("samples")


def theme_dir() -> Path:
    return templates_dir() / "theme"


def sample_project(name: str = "harbour-bank") -> Path:
    return samples_dir() / name
