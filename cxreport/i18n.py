"""Translatable strings.

Every user-facing sentence and template string goes through :func:`_` (templates use
Jinja's i18n extension). English is the source language; catalogs for other languages
plug in here through :func:`set_language`.
"""

from __future__ import annotations

import gettext as _gettext

_translations: _gettext.NullTranslations = _gettext.NullTranslations()


def set_language(language: str) -> None:
    """Select the catalog for ``language`` ("en" uses the source strings)."""
    global _translations
    _translations = _gettext.NullTranslations()


def translations() -> _gettext.NullTranslations:
    return _translations


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)
