"""What keeps a build's largest process small (issue 17): the phone-width chart variants drawn
beside the PDF are drawn in a forked process, and memory freed by scoring is given back."""

from __future__ import annotations

import os

from cxreport.present import charts
from cxreport.util import release_free_memory


def _pid(_job) -> int:
    return os.getpid()


def test_charts_drawn_apart_are_drawn_in_another_process_even_with_one():
    here = os.getpid()
    assert set(charts._map_charts(_pid, list(range(5)), processes=1)) == {here}
    apart = charts._map_charts(_pid, list(range(5)), processes=1, apart=True)
    assert len(apart) == 5 and here not in apart and len(set(apart)) == 1
    assert charts._map_charts(_pid, [], processes=1, apart=True) == []


def test_releasing_free_memory_never_fails(monkeypatch):
    import sys

    import pyarrow as pa

    table = pa.table({"x": list(range(100_000))})
    del table
    release_free_memory()
    monkeypatch.setitem(sys.modules, "pyarrow", None)      # Arrow not imported by the build
    release_free_memory()
    monkeypatch.setattr(sys, "platform", "darwin")         # no glibc to trim
    release_free_memory()
