"""Report languages: translated strings and the locale numbers and dates are formatted in.

Every user-facing sentence and template string goes through :func:`_` (templates use
Jinja's i18n extension, wired to the same functions). English is the source language;
other languages have a gettext catalog in ``cxreport/locale/<ll_CC>/LC_MESSAGES/cxreport.po``.

The ``.po`` file is the only form of a catalog kept in the repository: it is compiled in
memory with Babel the first time a language is used in a process and cached, so a stale
``.mo`` can never disagree with it.

The language is chosen per build, not per process: :func:`use_language` sets it for the
code inside a ``with`` block (a :mod:`contextvars` variable, restored on exit), so an
English build after a Chinese one in the same process is English again. Code that runs
outside any block gets English.

Catalog maintenance (see docs/languages.md)::

    python -m cxreport.i18n extract   # templates + Python → cxreport/locale/cxreport.pot
    python -m cxreport.i18n update    # merge the .pot into every language's .po
    python -m cxreport.i18n check     # exit 1 when the .pot is stale or a message lacks a translation
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext as _gettext
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

#: Report languages: the code a project file uses (BCP 47, as in ``<html lang>``) → the
#: catalog folder (``None`` for the source language).
LANGUAGES: dict[str, str | None] = {"en": None, "zh-CN": "zh_CN"}

#: Other spellings accepted in a project file, and the language they mean.
ALIASES: dict[str, str] = {"zh": "zh-CN", "zh_CN": "zh-CN", "zh-cn": "zh-CN", "zh-Hans": "zh-CN",
                           "zh-Hans-CN": "zh-CN", "en-GB": "en", "en-US": "en", "en_GB": "en", "en_US": "en"}

#: Languages whose reports put a CJK font first in the font stacks.
CJK_LANGUAGES = ("zh-CN",)

DOMAIN = "cxreport"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ROOT = Path(__file__).resolve().parents[1]


def normalise(code: str) -> str:
    """The canonical code of a language ('zh' → 'zh-CN'); ValueError when unsupported."""
    text = str(code).strip()
    if text in LANGUAGES:
        return text
    if text in ALIASES:
        return ALIASES[text]
    lowered = {k.lower(): v for k, v in {**{c: c for c in LANGUAGES}, **ALIASES}.items()}
    if text.lower() in lowered:
        return lowered[text.lower()]
    raise ValueError(f"'{code}' is not a supported report language (choose from {', '.join(LANGUAGES)})")


@dataclass(frozen=True)
class Language:
    """One report language: its code, Babel locale and translations."""

    code: str
    locale: object                       # babel.Locale
    translations: _gettext.NullTranslations

    @property
    def cjk(self) -> bool:
        return self.code in CJK_LANGUAGES


def catalog_path(folder: str) -> Path:
    return LOCALE_DIR / folder / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.lru_cache(maxsize=None)
def _compiled(folder: str) -> _gettext.GNUTranslations:
    """The language's ``.po`` compiled to a ``.mo`` in memory (once per process)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(catalog_path(folder), "rb") as handle:
        catalog = read_po(handle, locale=folder, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


@functools.lru_cache(maxsize=None)
def language(code: str = "en") -> Language:
    """The :class:`Language` for a code or alias (cached)."""
    from babel import Locale

    canonical = normalise(code)
    folder = LANGUAGES[canonical]
    translations = _compiled(folder) if folder else _gettext.NullTranslations()
    return Language(canonical, Locale.parse(folder or "en"), translations)


_current: contextvars.ContextVar[str] = contextvars.ContextVar("cxreport_language", default="en")


def current() -> Language:
    """The language of the build running in this context (English outside any)."""
    return language(_current.get())


@contextlib.contextmanager
def use_language(code: str | None):
    """Translate and format in ``code`` inside the block; the previous language comes back after."""
    token = _current.set(language(code or "en").code)
    try:
        yield current()
    finally:
        _current.reset(token)


def set_language(code: str) -> None:
    """Select ``code`` for the rest of the current context (prefer :func:`use_language`)."""
    _current.set(language(code).code)


def translations() -> _gettext.NullTranslations:
    return current().translations


def _(message: str) -> str:
    return current().translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return current().translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for the catalog without translating it (translated where it is shown)."""
    return message


# --------------------------------------------------------------------------- catalog maintenance

POT = LOCALE_DIR / f"{DOMAIN}.pot"
MAPPING = ROOT / "babel.cfg"
PROJECT = "cxreport"
#: Placeholders a translation must keep: str.format fields and %-style named fields.
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%\([A-Za-z_][A-Za-z0-9_]*\)[sd]")


def extract():
    """A Babel catalog of every message in the templates and the Python code (babel.cfg)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(MAPPING, encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    catalog = Catalog(project=PROJECT, domain=DOMAIN, charset="utf-8", header_comment=_POT_HEADER,
                      fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=_KEYWORDS, comment_tags=("Translators:",),
            strip_comment_tags=True):
        catalog.add(message, None, [(filename.replace("\\", "/"), lineno)], auto_comments=comments,
                    context=context)
    return catalog


_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
_POT_HEADER = """\
# Messages of cxreport reports (templates and generated sentences).
# Generated by `python -m cxreport.i18n extract`; do not edit by hand."""


def pot_text(catalog) -> str:
    """The .pot as text, without the volatile creation date, so it can be compared."""
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=False, sort_by_file=True,
             include_lineno=False)
    return _stable(buffer.getvalue().decode("utf-8"))


def _stable(text: str) -> str:
    """Catalog text without the header lines that change with the day or the Babel version."""
    return re.sub(r'"(?:POT-Creation-Date|Generated-By): [^"]*\\n"\n', "", text)


def write_pot() -> Path:
    POT.parent.mkdir(parents=True, exist_ok=True)
    POT.write_text(pot_text(extract()), encoding="utf-8")
    return POT


def update() -> list[Path]:
    """Merge the .pot into every language's .po (new messages empty, removed ones dropped)."""
    from babel.messages.pofile import read_po, write_po

    with open(POT, "rb") as handle:
        template = read_po(handle)
    written = []
    for folder in (f for f in LANGUAGES.values() if f):
        path = catalog_path(folder)
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=folder, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=100, sort_by_file=True, include_lineno=False, ignore_obsolete=True)
        path.write_text(_stable(buffer.getvalue().decode("utf-8")), encoding="utf-8")
        written.append(path)
    return written


def problems() -> list[str]:
    """What is wrong with the catalogs: a stale .pot, missing or empty translations,
    placeholders lost or invented, fuzzy entries."""
    from babel.messages.pofile import read_po

    out = []
    catalog = extract()
    if not POT.exists() or POT.read_text(encoding="utf-8") != pot_text(catalog):
        out.append(f"{POT.relative_to(ROOT)} is out of date: run `python -m cxreport.i18n extract` "
                   "then `python -m cxreport.i18n update`")
    ids = [m.id for m in catalog if m.id]
    for folder in (f for f in LANGUAGES.values() if f):
        path = catalog_path(folder)
        with open(path, "rb") as handle:
            po = read_po(handle, locale=folder, domain=DOMAIN)
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        for msgid in ids:
            message = po.get(msgid)
            key = msgid[0] if isinstance(msgid, tuple) else msgid
            strings = message.string if message is not None else None
            forms = list(strings) if isinstance(strings, (tuple, list)) else [strings]
            if message is None or not all(forms):
                out.append(f"{rel}: no translation of {key!r}")
                continue
            if message.fuzzy:
                out.append(f"{rel}: fuzzy translation of {key!r}")
            wanted = sorted(set(PLACEHOLDER.findall(key)))
            for form in forms:
                if sorted(set(PLACEHOLDER.findall(form))) != wanted:
                    out.append(f"{rel}: placeholders of {key!r} are {wanted}, the translation has "
                               f"{sorted(set(PLACEHOLDER.findall(form)))}")
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else ""
    if command == "extract":
        print(write_pot().relative_to(ROOT))
        return 0
    if command == "update":
        for path in update():
            print(path.relative_to(ROOT))
        return 0
    if command == "check":
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    print("usage: python -m cxreport.i18n extract|update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
