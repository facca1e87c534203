"""matplotlib's font files of a text's properties, kept per process (charts._remember_font_files,
issue 17): charts come out byte for byte as matplotlib draws them without it, and the answer
follows what matplotlib's own cache follows (the properties, the font settings, a font added)."""

from __future__ import annotations

import contextlib

import pytest

from cxreport import i18n
from cxreport.present import charts
from cxreport.shop import charts as shop_charts

charts.load_matplotlib()
MANAGER = charts.font_manager.fontManager

WAVES = [{"name": "Wave 1 — Spring 2026", "score": 81.5, "region": 79.0, "programme": 77.2},
         {"name": "Wave 2 — Summer 2026", "score": 84.0, "region": 80.5, "programme": 78.9},
         {"name": "Wave 3 — Autumn 2026", "score": 88.25, "region": 82.0, "programme": 80.1}]


@contextlib.contextmanager
def matplotlib_alone():
    """The font manager as matplotlib made it (its class's method, nothing kept)."""
    kept = MANAGER.__dict__.pop("_find_fonts_by_props")
    try:
        yield
    finally:
        MANAGER._find_fonts_by_props = kept


def _pngs(font: str, lang: str) -> list[bytes]:
    style = charts.ChartStyle("#0B3C5D", "#1D9A8A", font)
    with i18n.use_language(lang):
        name = "Anchor Square" if lang == "en" else "锚点广场"
        return [shop_charts.location_trend(name, WAVES, 80.0, style, narrow=narrow).png for narrow in (False, True)] + \
            [shop_charts.programme_trend([{"wave": w["name"], "score": w["score"], "pass_rate": 70.0} for w in WAVES],
                                         80.0, style).png]


def test_the_memo_is_installed_once():
    assert getattr(MANAGER._find_fonts_by_props, "_cxreport_memo", False)
    method = MANAGER._find_fonts_by_props
    charts._remember_font_files(MANAGER)
    assert MANAGER._find_fonts_by_props is method


@pytest.mark.parametrize("font, lang", [("Lato", "en"), ("No Such Font", "en"), ("Lato", "zh-CN")])
def test_charts_are_the_same_bytes_as_matplotlib_draws_them(font, lang):
    remembered = _pngs(font, lang)
    with matplotlib_alone():
        alone = _pngs(font, lang)
    assert remembered == alone
    assert all(png.startswith(b"\x89PNG") and len(png) > 1000 for png in remembered)


def test_the_answer_follows_the_settings_and_the_properties():
    import matplotlib

    prop = charts.font_manager.FontProperties(family=["sans-serif"])
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        dejavu = MANAGER._find_fonts_by_props(prop)
        with matplotlib_alone():
            assert MANAGER._find_fonts_by_props(prop) == dejavu
    with matplotlib.rc_context({"font.sans-serif": [charts.CJK_FONT, "DejaVu Sans"]}):
        cjk = MANAGER._find_fonts_by_props(prop)
        with matplotlib_alone():
            assert MANAGER._find_fonts_by_props(prop) == cjk
    assert dejavu != cjk
    # the same object changed after a first answer is asked again, not served the old answer
    prop.set_family("DejaVu Sans")
    with matplotlib_alone():
        expected = MANAGER._find_fonts_by_props(prop)
    assert MANAGER._find_fonts_by_props(prop) == expected
    # the caller may change the list it gets without changing the kept answer
    MANAGER._find_fonts_by_props(prop).append("x")
    assert MANAGER._find_fonts_by_props(prop) == expected


def test_a_font_added_is_found():
    """A family matplotlib's font list lacks is found once its font is added (what
    charts.ensure_cjk_font does when the list was cached before the CJK fonts were installed)."""
    saved = list(MANAGER.ttflist)
    cjk = [f for f in saved if f.name == charts.CJK_FONT]
    assert cjk, "the CJK font (fonts-noto-cjk) is installed for the Chinese reports"
    prop = charts.font_manager.FontProperties(family=[charts.CJK_FONT, "DejaVu Sans"])
    try:
        MANAGER.ttflist[:] = [f for f in saved if f.name != charts.CJK_FONT]
        MANAGER._findfont_cached.cache_clear()
        without = MANAGER._find_fonts_by_props(prop)
        assert [str(p) for p in without] == [str(MANAGER.findfont("DejaVu Sans"))]
        MANAGER.addfont(cjk[0].fname)
        assert str(MANAGER._find_fonts_by_props(prop)[0]) == cjk[0].fname
    finally:
        MANAGER.ttflist[:] = saved
        MANAGER._findfont_cached.cache_clear()


def test_what_matplotlib_forgets_is_forgotten():
    """Emptying matplotlib's own cache (as addfont and a rebuilt font list do) drops every kept
    answer, even when the font list keeps its length."""
    saved = list(MANAGER.ttflist)
    prop = charts.font_manager.FontProperties(family=[charts.CJK_FONT, "DejaVu Sans"])
    first = MANAGER._find_fonts_by_props(prop)
    try:
        # the same number of fonts: the CJK family's entries replaced by DejaVu Sans
        dejavu = next(f for f in saved if f.name == "DejaVu Sans")
        MANAGER.ttflist[:] = [dejavu if f.name == charts.CJK_FONT else f for f in saved]
        assert len(MANAGER.ttflist) == len(saved)
        MANAGER._findfont_cached.cache_clear()
        with matplotlib_alone():
            expected = MANAGER._find_fonts_by_props(prop)
        MANAGER._findfont_cached.cache_clear()
        assert MANAGER._find_fonts_by_props(prop) == expected
        assert expected != first
    finally:
        MANAGER.ttflist[:] = saved
        MANAGER._findfont_cached.cache_clear()
    assert MANAGER._find_fonts_by_props(prop) == first
