"""Themes and user templates: where a report's templates, CSS and assets come from.

A report's templates are looked up, first match wins, in

1. the project's own templates folder (``templates/`` beside the project file, or
   ``report.templates``);
2. the selected installed theme (``report.theme``), then the theme it extends, and so on;
3. the built-in templates.

``default:NAME`` always reaches the built-in template, and ``THEME:NAME`` the template as
theme ``THEME`` (and the themes it extends) has it, so an override can extend what it
replaces: ``{% extends "default:client_report.html" %}``.

Themes are installed Python packages that register a ``cxreport.themes`` entry point
(``northwind = "northwind_theme"``): the package's folder is the theme, and an optional
``cxreport-theme.yaml`` in it says which theme it ``extends`` and describes it. Finding a
theme does not import (run) its package.

CSS: the built-in ``theme/report.css`` (or the first ``theme/report.css`` found in the
search order, which replaces it whole), then every ``theme/extra.css`` from the
built-in side up: parent theme, child theme, project. Relative ``url()`` references in
these files are embedded as ``data:`` URLs, so the HTML report stays one self-contained
file; any other URL fails the build.
"""

from __future__ import annotations

import base64
import importlib.metadata
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SecurityError

from cxreport.errors import ConfigError, RenderError
from cxreport.resources import templates_dir
from cxreport.util import did_you_mean

ENTRY_POINT_GROUP = "cxreport.themes"
MANIFEST = "cxreport-theme.yaml"
BUILT_IN = "default"
#: A theme's name is also its template prefix (``northwind:cover.html``).
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
#: Files in a theme folder that are not templates or assets.
_NOT_TEMPLATES = re.compile(r"(^|/)(__pycache__|[^/]*\.dist-info|[^/]*\.egg-info)(/|$)|\.(py|pyc|pyo)$|(^|/)\.")
#: Largest asset (logo, font) embedded in a report.
MAX_ASSET_BYTES = 5_000_000
ASSET_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml",
    ".webp": "image/webp", ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
}


# --------------------------------------------------------------------------- installed themes


@dataclass(frozen=True)
class Theme:
    """An installed theme."""

    name: str
    folder: Path
    extends: str = BUILT_IN
    description: str = ""
    origin: str = ""       # "northwind-theme 1.0 (entry point northwind = northwind_theme)"


@dataclass
class Installed:
    themes: dict[str, Theme] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)   # broken entry points, one line each


def _entry_points():
    return importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)


def installed_themes() -> Installed:
    """Every theme registered in the ``cxreport.themes`` entry-point group.

    A broken registration (no such package, a bad manifest, a name used twice) is
    listed in ``problems`` instead of stopping the others."""
    found = Installed()
    for ep in sorted(_entry_points(), key=lambda e: e.name):
        try:
            theme = _theme(ep)
        except ConfigError as exc:
            found.problems.append(exc.format_message())
            continue
        if theme.name in found.themes:
            found.problems.append(f"theme '{theme.name}' is registered twice ({found.themes[theme.name].origin}; "
                                  f"{theme.origin}); using the first")
            continue
        found.themes[theme.name] = theme
    return found


def _origin(ep) -> str:
    dist = getattr(ep, "dist", None)
    where = f"{dist.name} {dist.version} " if dist is not None else ""
    return f"{where}(entry point {ep.name} = {ep.value})"


def _theme(ep) -> Theme:
    name = ep.name
    if name == BUILT_IN or not NAME_RE.match(name):
        raise ConfigError(f"theme '{name}' ({_origin(ep)}): a theme name is lower-case letters, digits, '-' and '_', "
                          f"and not '{BUILT_IN}'")
    if ep.attr:
        raise ConfigError(f"theme '{name}' ({_origin(ep)}): the entry point must name a package (its folder is "
                          f"the theme), not '{ep.value}'")
    try:
        spec = importlib.util.find_spec(ep.module)
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"theme '{name}' ({_origin(ep)}): cannot find package {ep.module}: {exc}") from None
    if spec is None:
        raise ConfigError(f"theme '{name}' ({_origin(ep)}): package {ep.module} is not installed")
    locations = list(spec.submodule_search_locations or [])
    if not locations:
        raise ConfigError(f"theme '{name}' ({_origin(ep)}): {ep.module} is a module, not a package folder")
    folder = Path(locations[0]).resolve()
    extends, description = read_manifest(folder, name)
    return Theme(name, folder, extends, description, _origin(ep))


def read_manifest(folder: Path, name: str) -> tuple[str, str]:
    """``extends`` and ``description`` from the theme's ``cxreport-theme.yaml`` (both optional)."""
    path = folder / MANIFEST
    if not path.is_file():
        return BUILT_IN, ""
    import yaml

    where = f"theme '{name}': {path}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{where}: cannot read it: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping with 'extends' and 'description'")
    unknown = sorted(set(map(str, data)) - {"extends", "description"})
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]}: unknown key (expected extends, description)")
    extends = data.get("extends") or BUILT_IN
    description = data.get("description") or ""
    if not isinstance(extends, str) or not (extends == BUILT_IN or NAME_RE.match(extends)):
        raise ConfigError(f"{where}: extends: expected a theme name, not {extends!r}")
    if extends == name:
        raise ConfigError(f"{where}: extends: a theme cannot extend itself")
    if not isinstance(description, str):
        raise ConfigError(f"{where}: description: expected text")
    return extends, " ".join(description.split())


def theme_chain(name: str, installed: Installed | None = None) -> list[Theme]:
    """Theme ``name`` and the themes it extends, child first (the built-ins not included)."""
    installed = installed or installed_themes()
    chain: list[Theme] = []
    current = name
    while current != BUILT_IN:
        theme = installed.themes.get(current)
        if theme is None:
            raise ConfigError(_not_installed(current, installed, chain[-1].name if chain else None))
        if any(t.name == current for t in chain):
            raise ConfigError(f"theme '{name}': themes extend each other in a circle: "
                              + " → ".join([t.name for t in chain] + [current]))
        chain.append(theme)
        current = theme.extends
    return chain


def _not_installed(name: str, installed: Installed, child: str | None) -> str:
    available = ", ".join(sorted(installed.themes)) or "none"
    head = (f"theme '{child}' extends '{name}', which is not installed" if child
            else f"theme '{name}' is not installed{did_you_mean(name, installed.themes)}")
    broken = [p for p in installed.problems if p.startswith(f"theme '{name}'")]
    if broken:
        return f"{head}: {broken[0]}"
    return f"{head} (installed themes: {available}; see cxreport themes list)"


def theme_files(folder: Path) -> list[str]:
    """Template and asset files of a theme or templates folder, as sorted relative paths."""
    out = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != MANIFEST and not _NOT_TEMPLATES.search(rel):
            out.append(rel)
    return sorted(out)


# --------------------------------------------------------------------------- the search path


@dataclass(frozen=True)
class Layer:
    """One folder in the search order."""

    kind: str            # "project" | "theme" | "built-in"
    folder: Path
    name: str            # theme name, BUILT_IN, or "" for the project folder
    label: str           # how messages name a file in it: "templates/", "theme 'northwind' template "


class FolderLoader(jinja2.FileSystemLoader):
    """A ``FileSystemLoader`` on one folder that refuses templates whose real file is
    outside the folder (a symbolic link out of it)."""

    def __init__(self, folder: Path):
        super().__init__(str(folder))
        self.folder = Path(folder).resolve()

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        if not Path(filename).resolve().is_relative_to(self.folder):
            raise SecurityError(f"template {template} in {self.folder} is a link to a file outside that folder")
        return source, filename, uptodate


@dataclass(frozen=True)
class TemplateSearch:
    """Where templates, CSS and assets are looked up, first match first."""

    layers: tuple[Layer, ...]

    @property
    def user_supplied(self) -> bool:
        """True when a project folder or a theme is in play."""
        return any(layer.kind != "built-in" for layer in self.layers)

    @property
    def folders(self) -> list[Path]:
        return [layer.folder for layer in self.layers]

    def loader(self) -> jinja2.BaseLoader:
        loaders = {layer: FolderLoader(layer.folder) for layer in self.layers}
        prefixes: dict[str, jinja2.BaseLoader] = {}
        for i, layer in enumerate(self.layers):
            if layer.kind != "project":
                prefixes[layer.name] = jinja2.ChoiceLoader([loaders[lay] for lay in self.layers[i:]])
        # The prefixed names first, so that "default:x.html" always means the built-in x.html.
        return jinja2.ChoiceLoader([jinja2.PrefixLoader(prefixes, delimiter=":")] + list(loaders.values()))

    def describe(self, filename: str) -> str | None:
        """How the user knows a template file: ``templates/cover.html``; ``None`` if not ours."""
        if not filename or filename.startswith("<"):
            return None
        path = Path(filename)
        for layer in self.layers:
            try:
                rel = path.resolve().relative_to(layer.folder)
            except (ValueError, OSError):
                continue
            return layer.label + rel.as_posix()
        return None

    def find(self, name: str) -> tuple[Layer, Path] | None:
        """The first file called ``name`` (a relative path) in the search order."""
        parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            return None
        for layer in self.layers:
            path = layer.folder.joinpath(*parts)
            if path.is_file():
                if not path.resolve().is_relative_to(layer.folder):
                    raise RenderError(f"{layer.label}{'/'.join(parts)} is a link to a file outside that folder")
                return layer, path
        return None

    def css(self) -> str:
        """The report's CSS: the base stylesheet, then each ``theme/extra.css``, built-in side first."""
        found = self.find("theme/report.css")
        if found is None:
            raise RenderError("the built-in theme/report.css is missing; reinstall cxreport")
        parts = [_css_file(*found)]
        for layer in reversed(self.layers):
            extra = layer.folder / "theme" / "extra.css"
            if extra.is_file():
                if not extra.resolve().is_relative_to(layer.folder):
                    raise RenderError(f"{layer.label}theme/extra.css is a link to a file outside that folder")
                parts.append(_css_file(layer, extra))
        return "\n".join(parts)

    def asset(self, name: str) -> str:
        """An image or font from the template folders as a ``data:`` URL (the ``asset()``
        function of the templates)."""
        if not isinstance(name, str):
            raise SecurityError(f"asset(): expected a file name, not {type(name).__name__}")
        found = self.find(name)
        if found is None:
            raise SecurityError(f"asset not found in the template folders: {name}")
        return _data_url(*found)


def _data_url(layer: Layer, path: Path) -> str:
    mime = ASSET_TYPES.get(path.suffix.lower())
    where = layer.label + path.relative_to(layer.folder).as_posix()
    if mime is None:
        raise SecurityError(f"{where}: not an image or font ({', '.join(sorted(ASSET_TYPES))})")
    size = path.stat().st_size
    if size > MAX_ASSET_BYTES:
        raise SecurityError(f"{where}: {size:,} bytes is larger than {MAX_ASSET_BYTES:,}")
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


_URL = re.compile(r"""url\(\s*(?P<q>['"]?)(?P<url>[^'")]*)(?P=q)\s*\)""", re.IGNORECASE)
_IMPORT = re.compile(r"@import\b", re.IGNORECASE)


def _css_file(layer: Layer, path: Path) -> str:
    """A stylesheet with its relative ``url()`` references embedded as ``data:`` URLs."""
    where = layer.label + path.relative_to(layer.folder).as_posix()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RenderError(f"{where}: cannot read it: {exc}") from None
    if _IMPORT.search(text):
        raise RenderError(f"{where}: @import is not supported; put the rules in this file")
    if "</" in text:
        raise RenderError(f"{where}: '</' may not appear in a stylesheet (it would end the <style> element)")

    def embed(match: re.Match) -> str:
        url = match.group("url").strip()
        if url.lower().startswith("data:") or url.startswith("#"):
            return match.group(0)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//|^/", url, re.IGNORECASE):
            raise RenderError(f"{where}: url({url}) is not a file in the theme; only files beside the stylesheet "
                              "(relative paths) and data: URLs are allowed")
        target = (path.parent / url.split("?")[0].split("#")[0]).resolve()
        if not target.is_relative_to(layer.folder) or not target.is_file():
            raise RenderError(f"{where}: url({url}) is not a file inside {layer.folder}")
        try:
            return f'url("{_data_url(layer, target)}")'
        except SecurityError as exc:
            raise RenderError(str(exc)) from None

    return _URL.sub(embed, text)


def template_search(project_templates: Path | None = None, theme: str | None = None, *,
                    project_dir: Path | None = None, installed: Installed | None = None) -> TemplateSearch:
    """The search order for a project: its templates folder, the theme chain, the built-ins."""
    layers: list[Layer] = []
    if project_templates is not None:
        folder = Path(project_templates).resolve()
        label = folder.name + "/"
        if project_dir is not None:
            try:
                label = folder.relative_to(Path(project_dir).resolve()).as_posix() + "/"
            except ValueError:
                label = str(folder) + "/"
        layers.append(Layer("project", folder, "", label))
    if theme and theme != BUILT_IN:
        for t in theme_chain(theme, installed):
            layers.append(Layer("theme", t.folder, t.name, f"theme '{t.name}' template "))
    layers.append(Layer("built-in", templates_dir().resolve(), BUILT_IN, "built-in template "))
    return TemplateSearch(tuple(layers))


def project_search(project: Any) -> TemplateSearch:
    """The search order for a loaded :class:`~cxreport.config.schema.Project`."""
    report = project.report
    return template_search(report.templates, report.theme, project_dir=project.base_dir)


def built_in() -> TemplateSearch:
    return template_search()


# --------------------------------------------------------------------------- describing themes


@dataclass(frozen=True)
class ThemeInfo:
    """What ``cxreport themes list/show`` prints about one layer."""

    name: str
    origin: str
    folder: Path
    extends: str | None
    description: str
    overrides: list[str]     # files that replace one further down the search order
    adds: list[str]          # files only this layer has


def _built_in_files() -> list[str]:
    return [f for f in theme_files(templates_dir().resolve()) if not f.startswith("starter/")]


def describe_layers(search: TemplateSearch, installed: Installed | None = None) -> list[ThemeInfo]:
    """Each layer of ``search`` with the files it overrides and adds."""
    installed = installed or Installed()
    out = []
    for i, layer in enumerate(search.layers):
        below = [lay.folder for lay in search.layers[i + 1:]]
        files = _built_in_files() if layer.kind == "built-in" else theme_files(layer.folder)
        over = [f for f in files if any((b / f).is_file() for b in below)]
        theme = installed.themes.get(layer.name) if layer.kind == "theme" else None
        origin = {"project": "project templates folder", "built-in": "built into cxreport"}.get(
            layer.kind, theme.origin if theme else "")
        out.append(ThemeInfo(layer.name or layer.label.rstrip("/"), origin, layer.folder,
                             theme.extends if theme else None, theme.description if theme else "",
                             over, [f for f in files if f not in over]))
    return out


def describe_theme(name: str, installed: Installed | None = None) -> ThemeInfo:
    """Theme ``name`` (or ``default``, the built-ins) with what it overrides."""
    installed = installed or installed_themes()
    return describe_layers(template_search(theme=name, installed=installed), installed)[0]
