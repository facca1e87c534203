"""Render reports: Jinja templates → one self-contained HTML file and a tagged PDF.

- Jinja runs with autoescaping on and ``StrictUndefined``: user text (comments,
  narrative) is escaped or sanitised, and a missing value fails the build.
- Brand colours and the font reach CSS only as schema-validated values emitted as CSS
  custom properties, never through autoescaped template variables.
- WeasyPrint gets a URL fetcher that allows ``data:`` URLs and files inside the project
  and template folders, and fails the build on anything else: no network, ever.
- Outputs are written to temporary names and renamed only when every format succeeded,
  so a failed build never leaves a report that looks complete.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from cxreport import i18n
from cxreport.errors import RenderError
from cxreport.images import image_mime
from cxreport.present.formatting import FILTERS
from cxreport.present.interactive import html_extras
from cxreport.resources import templates_dir, theme_dir

FORMATS = ("html", "pdf")


def long_date(value: dt.date | None) -> str:
    if value is None:
        return "—"
    return f"{value.day} {value.strftime('%B')} {value.year}"


def make_environment(search_path: list[Path] | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in (search_path or [templates_dir()])]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(FILTERS)
    env.filters["longdate"] = long_date
    return env


def brand_css(brand: dict) -> Markup:
    """CSS custom properties from validated brand values (hex colours, allow-listed font)."""
    return Markup(
        ":root{"
        f"--primary:{brand['primary']};--accent:{brand['accent']};"
        f"--font:'{brand['font']}','DejaVu Sans',sans-serif;"
        "}"
    )


def logo_data_uri(path: Path | None) -> str | None:
    if path is None:
        return None
    return f"data:{image_mime(path)};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


# --------------------------------------------------------------------------- fetcher


class RestrictedFetcher:
    """Allows ``data:`` URLs and ``file:`` URLs inside the given folders; refuses the rest."""

    def __init__(self, allowed_dirs: list[Path]):
        self.allowed = [Path(p).resolve() for p in allowed_dirs]
        self.refused: list[str] = []

    def allows(self, url: str) -> bool:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme == "data":
            return True
        if scheme == "file":
            path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path)).resolve()
            return any(path.is_relative_to(d) for d in self.allowed) and path.is_file()
        return False

    def build(self):
        from weasyprint.urls import FatalURLFetchingError, URLFetcher

        outer = self

        class _Fetcher(URLFetcher):
            def fetch(self, url, headers=None):
                if not outer.allows(url):
                    outer.refused.append(url)
                    raise FatalURLFetchingError(f"refused to fetch {url}")
                return super().fetch(url, headers)

        return _Fetcher(allowed_protocols={"data", "file"}, allow_redirects=False, fail_on_errors=True, timeout=5)


# --------------------------------------------------------------------------- rendering


@dataclass
class Rendered:
    paths: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def render_html(template: str, context: dict, target: str, env: jinja2.Environment | None = None) -> str:
    env = env or make_environment()
    css = (theme_dir() / "report.css").read_text(encoding="utf-8")
    try:
        return env.get_template(template).render(**context, target=target, css=Markup(css),
                                                 brand_css=brand_css(context["brand"]), **html_extras(target))
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {template}: {exc}") from exc


_FONT_CONFIG = None


def font_config():
    """One WeasyPrint FontConfiguration per process, reused by every document it renders."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:
        from weasyprint.text.fonts import FontConfiguration

        _FONT_CONFIG = FontConfiguration()
    return _FONT_CONFIG


def html_to_pdf(html: str, allowed_dirs: list[Path]) -> bytes:
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    fetcher = RestrictedFetcher(allowed_dirs)
    try:
        document = weasyprint.HTML(string=html, base_url=str(templates_dir()) + os.sep, url_fetcher=fetcher.build())
        pdf = document.write_pdf(pdf_tags=True, font_config=font_config())
    except FatalURLFetchingError:
        pdf = None
    # WeasyPrint swallows some fetch errors (inside SVG images); refuse the build all the same.
    if pdf is None or fetcher.refused:
        raise RenderError("the report refers to a resource outside the project and template folders: "
                          + ", ".join(fetcher.refused[:3]))
    return pdf


def write_outputs(outputs: dict[str, bytes], out_dir: Path) -> dict[str, Path]:
    """Write every output under a temporary name, then rename them all."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"cannot create output folder {out_dir}: {exc.strerror}") from None
    if not os.access(out_dir, os.W_OK):
        raise RenderError(f"cannot write to output folder {out_dir}: permission denied")
    for name in outputs:
        if (out_dir / name).is_dir():
            raise RenderError(f"cannot write {out_dir / name}: a folder of that name is in the way")
    temps: dict[str, str] = {}
    try:
        for name, data in outputs.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=out_dir)
            temps[name] = tmp
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        final = {}
        for name, tmp in temps.items():
            os.chmod(tmp, 0o644)
            os.replace(tmp, out_dir / name)
            final[name] = out_dir / name
        return final
    except OSError as exc:
        raise RenderError(f"cannot write reports to {out_dir}: {exc.strerror}") from None
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.unlink(tmp)


def render_report(context: dict, *, template: str, out_dir: Path, name: str, formats: tuple[str, ...],
                  allowed_dirs: list[Path], extra: dict[str, bytes] | None = None) -> Rendered:
    """Render ``formats`` (html, pdf) and write them, with any ``extra`` outputs (file
    extension → bytes), all under temporary names first."""
    import time

    outputs: dict[str, bytes] = {}
    rendered = Rendered()
    t = time.perf_counter()
    if "html" in formats:
        outputs[f"{name}.html"] = render_html(template, context, "html").encode("utf-8")
        rendered.timings["HTML"] = time.perf_counter() - t
    if "pdf" in formats:
        t = time.perf_counter()
        html = render_html(template, context, "pdf")
        outputs[f"{name}.pdf"] = html_to_pdf(html, allowed_dirs + [templates_dir()])
        rendered.timings["PDF"] = time.perf_counter() - t
    for ext, data in (extra or {}).items():
        outputs[f"{name}.{ext}"] = data
    paths = write_outputs(outputs, out_dir)
    for fmt in FORMATS + tuple(extra or {}):
        key = f"{name}.{fmt}"
        if key in paths:
            rendered.paths[fmt] = paths[key]
    return rendered
