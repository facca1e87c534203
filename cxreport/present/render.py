"""Render reports: Jinja templates → one self-contained HTML file and a tagged PDF.

- Jinja runs with autoescaping on and ``StrictUndefined``: user text (comments,
  narrative) is escaped or sanitised, and a missing value fails the build.
- Every template, built-in or from a project or theme folder (:mod:`cxreport.present.themes`),
  runs in the immutable sandbox and sees only plain data (:mod:`cxreport.present.sandbox`).
- Brand colours and the font reach CSS only as schema-validated values emitted as CSS
  custom properties, never through autoescaped template variables.
- WeasyPrint gets a URL fetcher that allows ``data:`` URLs and files inside the project
  and template folders, and fails the build on anything else: no network, ever.
- Rendering a project or theme template is bounded: 60 s, 512 MB of memory and 50 million
  characters of HTML per rendering, and 300 s and 1 GB for making its PDF
  (:class:`cxreport.present.sandbox.RenderGuard`); past a limit the build fails with one
  line naming the template and the limit, and writes nothing.
- Outputs are written to temporary names and renamed only when every format succeeded,
  so a failed build never leaves a report that looks complete.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from cxreport import i18n
from cxreport.errors import RenderError, os_error_text
from cxreport.images import image_mime
from cxreport.present import pdf as pdf_engine
from cxreport.present.formatting import FILTERS
from cxreport.present.pdf import RestrictedFetcher, font_config, refuse_attachments  # noqa: F401  (public here too)
from cxreport.present.sandbox import (PdfLimit, RenderGuard, RenderMemoryLimit, ReportSandbox,
                                      describe_template_error, plain_data, render_bounded)
from cxreport.present.themes import TemplateSearch, theme_files
from cxreport.present.themes import built_in as built_in_templates
from cxreport.resources import templates_dir
from cxreport.present.interactive import html_extras

FORMATS = ("html", "pdf")


def long_date(value: dt.date | str | None) -> str:
    """'23 November 2026' in English; the locale's long date elsewhere ('2026年11月23日').
    Text that is not a date (a visit date the ledger could not read) is shown as written."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    lang = i18n.current()
    if lang.code == "en":
        return f"{value.day} {value.strftime('%B')} {value.year}"
    from babel.dates import format_date

    return format_date(value, "long", locale=lang.locale)


def make_environment(search: TemplateSearch | None = None) -> jinja2.Environment:
    """The Jinja environment of the reports: the sandbox (``ImmutableSandboxedEnvironment``),
    autoescaping, ``StrictUndefined``, the i18n extension and the number filters, loading
    templates from ``search`` (the project folder, the theme chain, the built-ins;
    default: the built-ins only). See :mod:`cxreport.present.themes`."""
    search = search or built_in_templates()
    from cxreport import cache

    bytecode = cache.template_bytecode()            # compiled templates, signed (docs/cache.md)
    precompiled = _precompiled(search)
    if precompiled:
        bytecode = _Precompiled(precompiled, bytecode)
    env = ReportSandbox(
        loader=search.loader(),
        bytecode_cache=bytecode,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The callables look the language up on every call, so one environment serves builds in
    # any language (the language is per build: cxreport.i18n.use_language).
    env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(FILTERS)
    env.filters["longdate"] = long_date
    env.globals["asset"] = search.asset
    env.cx_search = search  # type: ignore[attr-defined]
    return env


# --------------------------------------------------------------------------- templates compiled beside

#: The build's templates being compiled in a forked process: (search, Beside or its result).
_PRECOMPILING: list = []


def precompile(search: TemplateSearch, template: str) -> None:
    """Compile ``template``, every template it names (``include``, ``extends``, ``import``)
    and every partial (the sections are included by computed names) in a forked process while this one reads and scores the data (:mod:`cxreport.beside`):
    about 0.3 s a build with nothing cached would otherwise spend before the PDF's HTML. The
    environment made next for ``search`` loads that compiled code instead of compiling it
    (and stores it in the build's cache, when there is one). A template the child could not
    compile is compiled, and its error reported, here as before."""
    from cxreport import beside

    _PRECOMPILING.clear()
    if beside.can_fork():           # else (one core, a pool worker) the templates compile as before
        _PRECOMPILING.append((search, beside.start(_compile_named, search, template)))


def _precompiled(search: TemplateSearch) -> dict:
    """The code compiled beside this process for ``search`` ({(key, checksum): bytecode}), or
    nothing; waits for the child the first time."""
    if not _PRECOMPILING or _PRECOMPILING[0][0] is not search:
        return {}
    found = _PRECOMPILING[0][1]
    if not isinstance(found, dict):
        try:
            found = found.result()
        except Exception:  # noqa: BLE001 - nothing compiled beside: compiled here, as before
            found = {}
        _PRECOMPILING[0] = (search, found if isinstance(found, dict) else {})
    return _PRECOMPILING[0][1]


def _compile_named(search: TemplateSearch, template: str) -> dict:
    """In the forked child: compile ``template`` and the templates it names, recursively;
    return the code compiled ({(bucket key, checksum): bytecode})."""
    import jinja2.meta

    env = make_environment(search)
    inner = env.bytecode_cache
    fresh: dict = {}

    class Capture(jinja2.BytecodeCache):
        def load_bytecode(self, bucket) -> None:
            if inner is not None:
                inner.load_bytecode(bucket)

        def dump_bytecode(self, bucket) -> None:
            fresh[(bucket.key, bucket.checksum)] = bucket.bytecode_to_string()
            if inner is not None:
                inner.dump_bytecode(bucket)

    env.bytecode_cache = Capture()
    # The sections are included by a computed name ("partials/" ~ section ~ ".html"): every
    # partial too, besides the templates named literally.
    partials = [n for n in env.list_templates(extensions=["html"]) if n.startswith("partials/")]
    todo, seen = [*partials, template], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            source = env.loader.get_source(env, name)[0]
            with RenderGuard():
                env.get_template(name)
            todo.extend(n for n in jinja2.meta.find_referenced_templates(env.parse(source)) if n)
        except Exception:  # noqa: BLE001 - the build meets and reports it itself
            continue
    return fresh


class _Precompiled(jinja2.BytecodeCache):
    """Code compiled beside the build first, then the build's cache (if any)."""

    def __init__(self, found: dict, inner: jinja2.BytecodeCache | None):
        self.found, self.inner = found, inner

    def load_bytecode(self, bucket) -> None:
        data = self.found.get((bucket.key, bucket.checksum))
        if data is not None:
            bucket.bytecode_from_string(data)          # Jinja checks its magic and the checksum
            if bucket.code is not None:
                return
        if self.inner is not None:
            self.inner.load_bytecode(bucket)

    def dump_bytecode(self, bucket) -> None:
        if self.inner is not None:
            self.inner.dump_bytecode(bucket)


def check_templates(search: TemplateSearch) -> None:
    """Compile every ``.html`` template of the project folder and the theme chain, and put
    the CSS together, so that a mistake in them fails the build at once (before the data is
    read) and names the file."""
    search.css()
    env = make_environment(search)
    for layer in search.layers:
        if layer.kind == "built-in":
            continue
        for rel in theme_files(layer.folder):
            if rel.endswith(".html"):
                try:
                    with RenderGuard():       # compiling folds constant expressions: bounded too
                        env.get_template(rel if layer.kind == "project" else f"{layer.name}:{rel}")
                except Exception as exc:
                    place, message = describe_template_error(exc, search.describe)
                    if isinstance(exc, MemoryError):
                        message = str(RenderMemoryLimit())
                    raise RenderError(f"{place or layer.label + rel}: {message}") from None


#: The CJK family of the report font stacks (Debian: fonts-noto-cjk). It is in every stack, so
#: Chinese text (segment names, comments) never falls back to tofu, and first after the
#: brand font in Chinese reports, so Chinese punctuation and Han forms come from the SC face.
CJK_FONT = "Noto Sans CJK SC"


def font_stack(font: str, lang: str = "en") -> list[str]:
    """The families of the report font, in order, for ``lang``."""
    if i18n.language(lang).cjk:
        return [font, CJK_FONT, "DejaVu Sans"]
    return [font, "DejaVu Sans", CJK_FONT]


def brand_css(brand: dict, lang: str = "en") -> Markup:
    """CSS custom properties from validated brand values (hex colours, allow-listed font)."""
    families = ",".join(f"'{family}'" for family in font_stack(brand["font"], lang))
    return Markup(
        ":root{"
        f"--primary:{brand['primary']};--accent:{brand['accent']};"
        f"--font:{families},sans-serif;"
        "}"
    )


def _css_string(text: str) -> str:
    """A CSS string literal (quotes, backslashes and line breaks escaped)."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\<>' else f"\\{ord(c):x} " for c in text) + '"'


def language_css() -> Markup:
    """CSS rules that carry words: the page footer of the PDF, in the build's language."""
    # Translators: the PDF page footer; keep both placeholders.
    pattern = i18n._("Page {page} of {pages}")
    parts = []
    for chunk in re.split(r"(\{page\}|\{pages\})", pattern):
        if chunk == "{page}":
            parts.append("counter(page)")
        elif chunk == "{pages}":
            parts.append("counter(pages)")
        elif chunk:
            parts.append(_css_string(chunk))
    # CJK faces have no italic: quoted comments and credits in Chinese stay upright instead
    # of getting a synthesised oblique.
    upright = ".comment:lang(zh), p.credit:lang(zh), em:lang(zh) { font-style: normal; }"
    return Markup("@page { @bottom-right { content: " + " ".join(parts) + "; } }\n" + upright)


def logo_data_uri(path: Path | None) -> str | None:
    if path is None:
        return None
    return f"data:{image_mime(path)};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


# --------------------------------------------------------------------------- rendering


@dataclass
class Rendered:
    paths: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: The PDF was laid out again: a chart drawn beside its layout differed from its description.
    laid_out_again: bool = False
    #: What WeasyPrint found of its libraries where it made the PDF (cxreport.present.pdf.libraries).
    libraries: dict[str, bool] = field(default_factory=dict)


#: Chinese text runs on without spaces between sentences: the space (or line break) that joins
#: two messages in a template is dropped after Chinese punctuation and before a full-width
#: bracket or quote that follows a Chinese character ("比较。 来自…" → "比较。来自…").
_CJK_GAP = re.compile(r"(?<=[。；：！？，、）」』”])\s+(?=\S)|(?<=[\u3400-\u9fff])\s+(?=[（“「])")
_TAG_OR_TEXT = re.compile(r"(<script\b.*?</script>|<style\b.*?</style>|<pre\b.*?</pre>|<[^>]*>)", re.S | re.I)


def close_cjk_gaps(html: str) -> str:
    """``html`` with the gaps of :data:`_CJK_GAP` closed in its text (never inside a tag, a
    script, a style sheet or preformatted text)."""
    parts = _TAG_OR_TEXT.split(html)
    for i in range(0, len(parts), 2):          # the text between tags
        if parts[i].strip():
            parts[i] = _CJK_GAP.sub("", parts[i])
    return "".join(parts)


def render_html(template: str, context: dict, target: str, env: jinja2.Environment | None = None) -> str:
    """Render ``template`` with ``context`` (handed over as plain data). Any failure in a
    template is a :class:`RenderError` naming the template file and line. A project or theme
    template renders under the time, memory and size bounds of
    :class:`~cxreport.present.sandbox.RenderGuard`. Chinese reports are set without spaces
    between sentences (:func:`close_cjk_gaps`)."""
    html = _render_html(template, context, target, env)
    lang = context.get("lang", "en") if isinstance(context, dict) else "en"
    return close_cjk_gaps(html) if i18n.language(lang).cjk else html


def _render_html(template: str, context: dict, target: str, env: jinja2.Environment | None = None) -> str:
    env = env or make_environment()
    search: TemplateSearch = getattr(env, "cx_search", None) or built_in_templates()
    data = plain_data(context)
    lang = data.get("lang", "en")
    bounded = search.user_supplied
    loaded: list[jinja2.Template] = []
    try:
        css = search.css()
        with i18n.use_language(lang):
            variables = dict(data, target=target, css=Markup(css) + "\n" + language_css(),
                             brand_css=brand_css(data["brand"], lang), **html_extras(target))
            if not bounded:
                return env.get_template(template).render(**variables)
            with RenderGuard():
                loaded.append(env.get_template(template))
                return render_bounded(loaded[0], variables)
    except RenderError:
        raise
    except Exception as exc:
        if not isinstance(exc, jinja2.TemplateError) and not bounded:
            raise  # a bug in a built-in template or filter: keep the traceback
        place, message = describe_template_error(exc, search.describe)
        if isinstance(exc, MemoryError):      # an allocation past the address-space limit
            message = str(RenderMemoryLimit())
        if place is None and loaded:
            place = search.describe(loaded[0].filename or "")
        raise RenderError(f"{place or 'template ' + template}: {message}") from None


def font_subsetting_warning(lang: str, libraries: dict[str, bool] | None = None) -> str | None:
    """A warning when a CJK report's PDF embeds its font without HarfBuzz's subsetter (WeasyPrint
    then falls back to fontTools, about 10× slower for a Chinese report). ``libraries``: what
    WeasyPrint found where it made the PDF (:attr:`Rendered.libraries`; asked here when not given)."""
    if not i18n.language(lang).cjk:
        return None
    found = libraries if libraries else pdf_engine.libraries()
    if found.get("subsetter"):
        return None
    return ("libharfbuzz-subset0 (HarfBuzz ≥ 4.1) is not installed: the PDF embeds the Chinese font "
            "through a much slower subsetter (install it, see the README)")


def html_to_pdf(html: str, allowed_dirs: list[Path], *, guarded: bool = False) -> bytes:
    """The PDF of a report's HTML (:func:`cxreport.present.pdf.html_to_pdf`: in the build's PDF
    process when one was started, here otherwise)."""
    return pdf_engine.html_to_pdf(html, allowed_dirs, guarded=guarded)


def ensure_output_folder(out_dir: Path) -> None:
    """Create the output folder, or fail with one clear line."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"cannot create output folder {out_dir}: {os_error_text(exc)}") from None
    if not os.access(out_dir, os.W_OK):
        raise RenderError(f"cannot write to output folder {out_dir}: permission denied")


def write_outputs(outputs: dict[str, bytes], out_dir: Path) -> dict[str, Path]:
    """Write every output under a temporary name, then rename them all."""
    ensure_output_folder(out_dir)
    for name in outputs:
        if (out_dir / name).is_dir():
            raise RenderError(f"cannot write {out_dir / name}: a folder of that name is in the way")
    temps: dict[str, str] = {}
    current = ""
    try:
        for name, data in outputs.items():
            current = name
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=out_dir)
            temps[name] = tmp
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        final = {}
        for name, tmp in temps.items():
            current = name
            os.chmod(tmp, 0o644)
            os.replace(tmp, out_dir / name)
            final[name] = out_dir / name
        return final
    except OSError as exc:
        # Nothing is renamed until every file is written, so earlier versions stay whole.
        raise RenderError(f"cannot write {out_dir / current}: {os_error_text(exc)}") from None
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.unlink(tmp)


def _template_label(env: jinja2.Environment, templates: TemplateSearch, template: str) -> str:
    """How the user knows ``template`` (``templates/client_report.html``)."""
    try:
        return templates.describe(env.get_template(template).filename or "") or f"template {template}"
    except Exception:  # noqa: BLE001 - only for a message
        return f"template {template}"


def submit_pdf(html: str, allowed_dirs: list[Path], *, guarded: bool = False, hold: bool = False) -> pdf_engine.Pending:
    """Start making the PDF of a report's HTML (:func:`cxreport.present.pdf.submit`)."""
    return pdf_engine.submit(html, allowed_dirs, guarded=guarded, hold=hold)


def render_report(context: dict | None, *, template: str, out_dir: Path, name: str, formats: tuple[str, ...],
                  allowed_dirs: list[Path], extra: dict[str, bytes] | None = None,
                  templates: TemplateSearch | None = None, html_context=None, alongside=None,
                  draft=None) -> Rendered:
    """Render ``formats`` (html, pdf) and write them, with any ``extra`` outputs (file
    extension → bytes), all under temporary names first. ``templates`` is where the
    templates come from (default: the built-ins); its folders may hold the PDF's assets.

    The PDF's HTML is rendered first and handed to the PDF engine; while the PDF is made (in
    the build's PDF process, :mod:`cxreport.present.pdf`), ``alongside(context)`` (more
    outputs: extension → bytes) runs and the HTML report is rendered, from
    ``html_context(context)`` when given (the context with the phone-width chart variants) or
    the context.

    ``draft`` (instead of ``context``): charts being drawn (:class:`~cxreport.present.charts.Draft`,
    with ``draft.context`` the context with them described and ``draft.finish()``): the PDF
    is laid out from the descriptions while they are drawn, and written once they are; when
    a drawn chart differs from its description, the PDF is made again from the drawn ones."""
    import time

    outputs: dict[str, bytes] = {}
    rendered = Rendered()
    pending = None
    try:
        templates = templates or built_in_templates()
        env = make_environment(templates)
        folders = allowed_dirs + templates.folders + [templates_dir()]
        if draft is not None:
            if "pdf" in formats:
                t = time.perf_counter()
                html = render_html(template, draft.context, "pdf", env)
                pending = submit_pdf(html, folders + [draft.folder], guarded=templates.user_supplied, hold=True)
                rendered.timings["PDF HTML"] = time.perf_counter() - t
            t = time.perf_counter()
            context, same = draft.finish()
            rendered.timings["charts (beside the PDF's layout)"] = time.perf_counter() - t
            if pending is not None:
                if same:
                    pending.release()           # (made here, from the files, when no process took it)
                else:
                    rendered.laid_out_again = pending.held
                    pending.cancel()
                    pending = None
                    pdf_engine.prestart()       # the PDF again in a PDF process, not in the build
        if "pdf" in formats and pending is None:
            t = time.perf_counter()
            html = render_html(template, context, "pdf", env)
            pending = submit_pdf(html, folders, guarded=templates.user_supplied)
            rendered.timings["PDF HTML"] = time.perf_counter() - t
        extra = dict(extra or {})
        if alongside is not None:
            extra.update(alongside(context))
        if "html" in formats:
            t = time.perf_counter()
            html_ctx = html_context(context) if html_context is not None else context
            outputs[f"{name}.html"] = render_html(template, html_ctx, "html", env).encode("utf-8")
            rendered.timings["HTML"] = time.perf_counter() - t
        if pending is not None:
            t = time.perf_counter()
            try:
                outputs[f"{name}.pdf"] = pending.result()
                rendered.timings.update(pending.timings)
                rendered.libraries = pending.libraries
            except PdfLimit as exc:
                raise RenderError(f"{_template_label(env, templates, template)}: {exc}") from None
            rendered.timings["PDF"] = time.perf_counter() - t
    finally:
        if pending is not None:
            pending.cancel()
        if draft is not None:
            draft.close()
    for ext, data in extra.items():
        outputs[f"{name}.{ext}"] = data
    paths = write_outputs(outputs, out_dir)
    for fmt in FORMATS + tuple(extra):
        key = f"{name}.{fmt}"
        if key in paths:
            rendered.paths[fmt] = paths[key]
    return rendered
