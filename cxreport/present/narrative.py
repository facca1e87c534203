"""Consultant narrative: Markdown files merged into the report, made safe.

Raw HTML in the Markdown is not passed through (it prints as text), and the rendered
HTML is then cleaned with nh3 to an allow-list of text tags: no scripts, styles, images
or event handlers, and links only to http, https and mailto addresses or to a place in the
report (``#id``); they are never fetched. A relative link (``../data/responses.csv``,
``/etc/passwd``, ``//host/x``) would point into the consultant's own folders (the PDF
resolves it to a ``file:`` URL), so it keeps its text and loses its target.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from cxreport.errors import ConfigError

ALLOWED_TAGS = {"p", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "b", "i", "blockquote",
                "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "br", "hr", "a", "sup", "sub"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def _demote_headings(md: MarkdownIt) -> None:
    """Narrative headings start at level 3 so they sit under the report's own sections."""
    def rule(state):
        for token in state.tokens:
            if token.type in ("heading_open", "heading_close"):
                level = int(token.tag[1])
                token.tag = f"h{min(max(level, 3), 6)}"
    md.core.ruler.push("demote_headings", rule)


LINK_SCHEMES = {"http", "https", "mailto"}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3 attribute filter: an ``href`` survives only with an allowed scheme or as ``#id``."""
    if attribute != "href":
        return value
    if value.startswith("#") or urllib.parse.urlsplit(value.strip()).scheme.lower() in LINK_SCHEMES:
        return value
    return None


def render_markdown(text: str) -> Markup:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable("table")
    md.enable(["replacements", "smartquotes"])
    _demote_headings(md)
    html = md.render(text)
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=LINK_SCHEMES,
                      attribute_filter=_keep_attribute, link_rel="noopener noreferrer")
    return Markup(clean)


def load_narrative(path: Path | None, key: str, actions=None) -> Markup | None:
    """The Markdown file at ``path`` as safe HTML. ``[action: ID]`` names an action of the
    register (``actions``: the study's ActionReport): its owner, due date and status are
    printed there (docs/actions.md)."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"report.narrative.{key}: {path.name} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"report.narrative.{key}: cannot read {path.name}: {exc.strerror}") from None
    from cxreport.present.actions import protect_markers, restore_markers

    text, ids = protect_markers(text)
    html = render_markdown(text)
    return restore_markers(str(html), ids, actions) if ids else html
