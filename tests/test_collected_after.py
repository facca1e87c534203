"""One collection per document: cxreport.util.collected_after, and where it is used."""

import gc
import weakref

import pytest

from cxreport.util import collected_after


class _Node:
    pass


def _cycle():
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_paused_inside_and_the_blocks_cycles_are_freed_after(collector_on):
    with collected_after():
        assert not gc.isenabled()
        ref = _cycle()
        assert ref() is not None                # nothing collects it inside the block
    assert gc.isenabled()
    assert ref() is None                        # collected when the block ended


def test_the_collector_is_left_as_it_was(collector_on):
    gc.disable()
    with collected_after():
        ref = _cycle()
    assert not gc.isenabled()
    assert ref() is None
    gc.enable()
    with collected_after():
        with collected_after():
            ref = _cycle()
        assert not gc.isenabled()               # the inner block gives the outer one back its pause
        assert ref() is None
    assert gc.isenabled()


def test_an_error_inside_still_collects_and_restores(collector_on):
    with pytest.raises(ValueError):
        with collected_after():
            ref = _cycle()
            raise ValueError("x")
    assert gc.isenabled()
    assert ref() is None


def test_a_shop_document_is_made_with_the_collector_paused(monkeypatch, collector_on):
    from cxreport.shop import rendering

    seen = []

    def render_files(template, context, name, formats, allowed):
        seen.append(gc.isenabled())
        return {f"{name}.pdf": b"%PDF"}

    monkeypatch.setattr(rendering, "render_files", render_files)
    out = rendering.render_task({"template": "shop_scoresheet.html", "context": {}, "name": "x",
                                 "formats": ["pdf"], "allowed": []})
    assert out == {"files": {"x.pdf": b"%PDF"}, "warnings": []}
    assert seen == [False]
    assert gc.isenabled()


def _paused(*args, **kwargs):
    from cxreport.present.charts import Chart

    return Chart("c", "t", "a", b"", note=str(gc.isenabled()))


def test_a_chart_is_drawn_and_described_with_the_collector_paused(collector_on):
    from cxreport.present import charts

    job = charts.Deferred(_paused, (), {})
    assert charts._draw(job).note == "False"
    assert charts.describe(job).note == "False"
    assert gc.isenabled()
