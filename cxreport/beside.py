"""One computation beside the rest: a function run in a forked process while this one goes on.

A build scores its study step after step on one core while the machine's other core waits (the
PDF process has imported WeasyPrint by then). :func:`start` runs a step that depends on nothing
computed after it — the key-driver analysis — in a forked child; :meth:`Beside.result` gives
its value, or raises its error, exactly as calling the function here would. The child is a
copy of this process at the moment of the fork (the data, the language, the settings), so the
result is the one this process would compute (``tests/test_beside.py`` compares them).

Here, not in a child, when: there is one core, the platform cannot fork, this is a daemonic
process (a pool or Dask worker, which cannot have children and is already one of many), or
``CXREPORT_BESIDE=0``. A child that dies without an answer, or a value that cannot be sent
back, is not an error: the function is then run here.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable
from typing import Any

#: Set to "0" to run every step in the building process.
ENV_SWITCH = "CXREPORT_BESIDE"


def can_fork() -> bool:
    import multiprocessing as mp

    return (os.environ.get(ENV_SWITCH, "1") != "0" and (os.cpu_count() or 1) > 1
            and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon)


class Beside:
    """A call of ``fn(*args, **kwargs)`` under way (in a child) or pending (here)."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict):
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.seconds = 0.0          # the function's own time, wherever it ran
        self.process = self.conn = None
        if can_fork():
            import multiprocessing as mp

            ctx = mp.get_context("fork")
            self.conn, child_end = ctx.Pipe(duplex=False)
            try:
                self.process = ctx.Process(target=_child, args=(child_end, fn, args, kwargs), daemon=True)
                self.process.start()
            except OSError:  # pragma: no cover - no process could be started: run here
                self.process = None
            child_end.close()

    def result(self) -> Any:
        """The function's value, or its error raised here."""
        reply = None
        if self.process is not None:
            try:
                reply = pickle.loads(self.conn.recv_bytes())   # from this process's own child
            except (EOFError, OSError):
                reply = None
            finally:
                self.conn.close()
                self.process.join()
                self.process = None
        if reply is None or reply[0] == "unsent":
            t = time.perf_counter()
            try:
                return self.fn(*self.args, **self.kwargs)
            finally:
                self.seconds = time.perf_counter() - t
        kind, value, self.seconds, changes = reply
        _apply(changes)
        if kind == "error":
            raise value
        return value


    def cancel(self) -> None:
        """End a child whose result will not be asked for (the build failed meanwhile)."""
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.conn.close()
            self.process = None


def _child(conn, fn: Callable, args: tuple, kwargs: dict) -> None:  # pragma: no cover - runs in the child
    t = time.perf_counter()
    before = _state()
    try:
        reply = ("value", fn(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - sent back and raised in the parent
        reply = ("error", exc)
    seconds = time.perf_counter() - t
    changes = _changes(before)
    try:
        data = pickle.dumps((*reply, seconds, changes), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)              # an error that pickles but cannot be rebuilt: run it there
    except Exception:  # noqa: BLE001 - the value cannot travel: the parent computes it itself
        data = pickle.dumps(("unsent", None, seconds, None))
    conn.send_bytes(data)
    conn.close()


def _state() -> tuple:
    """What a child's work changes in its process that the parent must know: the files it
    opened (a cached study is keyed by every file its scoring read, cxreport.cache) and the
    cache's hit and miss counts."""
    from cxreport import cache

    store = cache.active()
    return cache.recorded_reads(), (dict(store.hits), dict(store.misses)) if store is not None else None


def _changes(before: tuple) -> dict:
    read0, counts0 = before
    read1, counts1 = _state()
    changes = {"read": sorted(read1 - read0) if read0 is not None and read1 is not None else [], "counts": None}
    if counts0 is not None and counts1 is not None:
        changes["counts"] = [{k: after[k] - start.get(k, 0) for k in after} for start, after in zip(counts0, counts1)]
    return changes


def _apply(changes: dict | None) -> None:
    """Record in this process what its child's work changed (:func:`_state`)."""
    if not changes:
        return
    from cxreport import cache

    cache.add_reads(changes["read"])
    store = cache.active()
    if store is not None and changes["counts"] is not None:
        for counts, deltas in zip((store.hits, store.misses), changes["counts"]):
            for key, delta in deltas.items():
                counts[key] = counts.get(key, 0) + delta


def start(fn: Callable, *args, **kwargs) -> Beside:
    """Start ``fn(*args, **kwargs)`` beside this process (see the module's description)."""
    return Beside(fn, args, kwargs)
