"""Rendering the mystery-shop reports in the executor's workers (:mod:`cxreport.executor`).

A ``shop report`` renders hundreds of small documents from three templates and one
stylesheet, so a worker process keeps what the documents share for its whole life instead
of rebuilding it for each of them:

- **one Jinja environment**: each template is compiled once, not once per document (in the
  fork server the workers are forked from, with the stylesheets below: :mod:`cxreport.shop.warm`);
- **the stylesheet parsed once**: for the PDF, the theme's ``report.css`` and the page
  footer of the report's language are parsed by WeasyPrint once into a ``weasyprint.CSS``
  object handed to every document (``stylesheets=[…]``); the document's own ``<style>``
  keeps only the brand's custom properties (they differ by programme). The HTML files carry
  the whole stylesheet, as before;
- **the logo's picture made once**: the decoded images of ``data:`` URLs are kept between
  documents (:class:`_Images`), and the picture WeasyPrint makes of a transparent PNG for
  a PDF (its colours and its alpha channel, each encoded again) is made once and copied;
- **charts drawn where they are used**: a location report's and the summary's charts come
  to the worker as :class:`Later` (a chart of :mod:`cxreport.shop.charts` and its
  arguments) and are drawn there, in parallel, instead of one after another before the
  batch starts; the phone-width variant only when the task writes the HTML.

The rendered files come back as bytes for the parent to write (no temporary folder per
document). The PDF is made with the same restricted URL fetcher as every report
(``data:`` URLs and files inside the programme and template folders, nothing else, no
network) and the same refusal of attachments.

Why the PDF comes out the same: WeasyPrint gives a stylesheet passed to ``render`` the
*user* origin. A user rule loses to every author rule whatever their specificities, where
the inline stylesheet's rules met the other author rules by specificity and order. So
everything the inline stylesheet held that could meet ``report.css`` goes into the shared
one (the page footer: ``@page`` rules, where ``report.css`` has no footer on the first
page), and the page keeps only the brand's custom properties (``:root``, properties
``report.css`` does not set). The other author rules (the shop templates' own ``<style>``
blocks, ``style`` attributes) agree as long as no rule of ``report.css`` is more specific
than one of theirs on the same property of the same element; ``tests/test_executor_module.py``
renders a scoresheet with appeals and evidence photos, a location report and the programme
summary both ways and compares their pages' text and pixels.
"""

from __future__ import annotations

import dataclasses
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from cxreport.util import collected_after

#: The shop reports' templates (a worker's fork server compiles them first: cxreport.shop.warm).
TEMPLATES = ("shop_scoresheet.html", "shop_location.html", "shop_programme.html")
#: Parsed stylesheets a worker keeps (one per stylesheet text: built-in theme; few differ).
_SHEETS: dict[str, Any] = {}
_SHEETS_KEPT = 4
#: Entries of the image cache after which it starts afresh (between two documents).
_IMAGES_KEPT = 64


class _Images(dict):
    """WeasyPrint's image cache (``render(cache=…)``) for the documents of one worker.

    Only raster images of ``data:`` URLs are served from it to a later document (the
    client's logo, on every scoresheet): their bytes are in the URL, nothing is fetched. Any
    other URL is fetched again, through the document's own restricted fetcher, and an SVG
    image is parsed again (it keeps the fetcher of its document). WeasyPrint makes an image's
    PDF picture for every document; for a PNG with transparency that is two PNG encodings
    (colours and alpha channel), a tenth of a scoresheet's PDF for a 1200-pixel logo. It is
    made once here and each document gets a copy (WeasyPrint numbers and rewrites it)."""

    def __contains__(self, key) -> bool:
        from weasyprint.images import RasterImage

        return (isinstance(key, str) and key.startswith("data:") and dict.__contains__(self, key)
                and isinstance(dict.__getitem__(self, key), RasterImage))

    def __setitem__(self, key, value) -> None:
        from weasyprint.images import RasterImage

        if isinstance(key, str) and key.startswith("data:") and isinstance(value, RasterImage):
            value.get_x_object = self._once(value.get_x_object)
        dict.__setitem__(self, key, value)

    def _once(self, make):
        import copy

        made: dict = {}

        def get_x_object(interpolate, dpi_ratio):
            if (interpolate, dpi_ratio) not in made:
                made[interpolate, dpi_ratio] = make(interpolate, dpi_ratio)
            # A copy each time; its image data stays where WeasyPrint put it (in this cache).
            return copy.deepcopy(made[interpolate, dpi_ratio], {id(self): self})

        return get_x_object

    def between_documents(self) -> "_Images":
        if len(self) > _IMAGES_KEPT:
            self.clear()
        return self


_IMAGE_CACHE = _Images()


@dataclasses.dataclass(frozen=True)
class Later:
    """A chart drawn by the worker that renders the report: the name of a chart function of
    :mod:`cxreport.shop.charts` and its arguments (plain data and a ChartStyle)."""

    chart: str
    args: tuple


def draw_later(context: Any, narrow: bool) -> Any:
    """``context`` with every :class:`Later` replaced by its chart, drawn in the report's
    language (``narrow``: with the phone-width variant, for the HTML)."""
    from cxreport import i18n
    from cxreport.present import charts
    from cxreport.shop import charts as shop_charts

    def walk(node):
        if isinstance(node, Later):
            fn = getattr(shop_charts, node.chart)
            return fn(*node.args, narrow=narrow)
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    lang = context.get("lang", "en") if isinstance(context, dict) else "en"
    previous = charts.CHART_PROCESSES
    with i18n.use_language(lang):
        try:
            charts.CHART_PROCESSES = 1
            return walk(context)
        finally:
            charts.CHART_PROCESSES = previous


@cache
def environment():
    """The worker's Jinja environment (built-in templates only: shop reports have no
    project templates), compiled templates kept for the process's life."""
    from cxreport.present.render import make_environment

    return make_environment()


def page_html(template: str, context: dict, target: str, inline_css: bool = True) -> str:
    """The page as :func:`cxreport.present.render.render_html` renders it, from the worker's
    environment; without ``inline_css`` its ``<style>`` has only the brand's custom
    properties (for a PDF made with the stylesheet of :func:`shared_css`)."""
    import jinja2
    from markupsafe import Markup

    from cxreport import i18n
    from cxreport.errors import RenderError
    from cxreport.present.interactive import html_extras
    from cxreport.present.render import brand_css, close_cjk_gaps, language_css
    from cxreport.present.sandbox import describe_template_error, plain_data

    env = environment()
    search = env.cx_search
    data = plain_data(context)
    lang = data.get("lang", "en")
    try:
        with i18n.use_language(lang):
            css = Markup(search.css()) + "\n" + language_css() if inline_css else Markup("")
            variables = dict(data, target=target, css=css, brand_css=brand_css(data["brand"], lang),
                             **html_extras(target))
            html = env.get_template(template).render(**variables)
    except jinja2.TemplateError as exc:
        place, message = describe_template_error(exc, search.describe)
        raise RenderError(f"{place or 'template ' + template}: {message}") from None
    return close_cjk_gaps(html) if i18n.language(lang).cjk else html


def shared_css(lang: str = "en") -> str:
    """The stylesheet the shop PDFs in ``lang`` share: the theme's CSS (``theme/report.css``)
    and the page footer in that language, as the inline stylesheet has them."""
    from cxreport import i18n
    from cxreport.present.render import language_css

    with i18n.use_language(lang):
        return environment().cx_search.css() + "\n" + str(language_css())     # str: no HTML escaping


def stylesheet(text: str):
    """``text`` parsed by WeasyPrint once per worker (a ``weasyprint.CSS``). The theme's CSS
    has its ``url()`` references embedded as ``data:`` URLs already; anything else it would
    fetch goes through the restricted fetcher (template folder only)."""
    sheet = _SHEETS.get(text)
    if sheet is None:
        import weasyprint

        from cxreport.present.render import RestrictedFetcher, font_config
        from cxreport.resources import templates_dir

        fetcher = RestrictedFetcher([templates_dir()])
        # The font configuration serves @font-face rules (here or imported) only; without them the sheet is
        # parsed without it (the fork server parses it too: cxreport.shop.warm).
        fonts = font_config() if re.search(r"@(font-face|import)\b", text, re.IGNORECASE) else None
        sheet = weasyprint.CSS(string=text, base_url=str(templates_dir()) + os.sep, url_fetcher=fetcher.build(),
                               font_config=fonts)
        if fetcher.refused:
            from cxreport.errors import RenderError

            raise RenderError("the stylesheet refers to a resource outside the template folder: "
                              + ", ".join(fetcher.refused[:3]))
        if len(_SHEETS) >= _SHEETS_KEPT:
            _SHEETS.clear()
        _SHEETS[text] = sheet
    return sheet


def pdf_bytes(html: str, allowed_dirs: list[Path], sheets: list | None = None) -> bytes:
    """The tagged PDF of ``html`` with the user stylesheets ``sheets``, fetching only
    ``data:`` URLs and files inside ``allowed_dirs`` and the template folder."""
    from cxreport.present.pdf import make_pdf
    from cxreport.resources import templates_dir

    return make_pdf(html, [*allowed_dirs, templates_dir()], stylesheets=sheets,
                    cache=_IMAGE_CACHE.between_documents())


def render_files(template: str, context: dict, name: str, formats, allowed_dirs: list[Path]) -> dict[str, bytes]:
    """``{file name: bytes}`` of ``context`` rendered with ``template`` in ``formats``."""
    context = draw_later(context, narrow="html" in formats)
    files: dict[str, bytes] = {}
    if "html" in formats:
        files[f"{name}.html"] = page_html(template, context, "html").encode("utf-8")
    if "pdf" in formats:
        html = page_html(template, context, "pdf", inline_css=False)
        files[f"{name}.pdf"] = pdf_bytes(html, allowed_dirs, [stylesheet(shared_css(context.get("lang", "en")))])
    return files


def render_task(payload: dict) -> dict:
    """Executor task: one shop report (``payload``: template, context, name, formats and the
    folders the PDF may read). Returns ``{"files": {name: bytes}, "warnings": []}``."""
    with collected_after():         # one collection per document, not thirty (docs/performance.md)
        files = render_files(payload["template"], payload["context"], payload["name"], tuple(payload["formats"]),
                             [Path(p) for p in payload["allowed"]])
    return {"files": files, "warnings": []}
