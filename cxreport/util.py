"""Small helpers shared across the package."""

from __future__ import annotations

import contextlib
import difflib
import gc
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=cutoff)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=cutoff)
        close = [lowered[c] for c in close]
    return f" (did you mean '{close[0]}'?)" if close else ""


@contextlib.contextmanager
def collected_after():
    """Python's cycle collector paused inside the block and run once when it ends, on the
    youngest generation only: the objects made since its last run, i.e. the block's.

    For a block that makes one document of a series (a scoresheet): WeasyPrint leaves every
    document's boxes in reference cycles, and the collector, left to its thresholds, ran some 30
    times per scoresheet and, every few sheets, went through every long-lived object of the
    worker (fonts, stylesheets, templates, pandas): 12 % of its CPU. Run once per document it
    frees that document's garbage in one pass over the document's own objects (about 7 ms), and
    the worker's memory stays as it was (docs/performance.md). Not for one large document: its
    garbage would pile up until the end (the client report's PDF is made as before). Nothing
    inside the block may start a process by forking: the child would begin with the collector
    paused (the shop task and the chart functions draw in-process)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect(0)
        if enabled:
            gc.enable()


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def release_free_memory() -> None:
    """Give the memory freed so far back to the system: Arrow's memory pool and the C allocator
    (glibc, ``malloc_trim``) both keep freed blocks for reuse. Called once a build has its
    scored study, before it draws (forked chart processes start from a smaller process) and
    renders: about 20 MB off the build's peak on the Harbour Bank sample. Never fails."""
    import sys

    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        try:
            arrow.default_memory_pool().release_unused()
        except Exception:  # noqa: BLE001 - an Arrow without it: nothing to give back
            pass
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # another C library (musl): nothing to trim
            pass
