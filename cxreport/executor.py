"""The executor: many independent tasks on a process pool or a Dask cluster.

Used by the survey batch builds (:mod:`cxreport.batch`, ``cxreport build --per``) and by the
mystery-shop reports (:mod:`cxreport.shop.reports`, ``cxreport shop report``); it knows
nothing of either (design notes in docs/batch.md).

A task is a plain, picklable description: a module-level function and its argument.
:func:`run_tasks` runs tasks in-process (``-j 1``), on a pool of worker processes started
with ``forkserver`` (or ``spawn``) that import WeasyPrint once, reuse one font configuration
and are recycled after :data:`TASKS_PER_WORKER` tasks (memory stays flat), or on a Dask
cluster (``--executor dask``). Each task has a time limit; a stuck task's worker is killed
and replaced. Failures are collected as one line each (:func:`reason`), never raised; a
batch that ends with failed items raises :class:`BatchFailed` (exit code 3) where its
caller decides.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cxreport.errors import CxError, RenderError

#: Tasks a worker process renders before it is replaced by a fresh one (memory stays flat).
TASKS_PER_WORKER = 50
#: Default time limit per item, in seconds (a large report renders in well under a minute).
DEFAULT_TIMEOUT = 600.0
#: Test-only: JSON {"sleep": {task key: seconds}, "fail": {task key: message}}, read by the
#: parent and applied in the worker; for tests of timeouts and failures. Not a user option.
TEST_HOOK_ENV = "CXREPORT_TEST_HOOK"
#: Seconds to wait for the Dask scheduler to answer.
DASK_CONNECT_TIMEOUT = 20


class BatchFailed(CxError):
    """Some items of a batch failed; the others were written. Exit code 3."""

    exit_code = 3


@dataclasses.dataclass
class Options:
    """How a batch runs (the command-line options -j, --timeout, --executor, --scheduler, --force)."""

    jobs: int | None = None              # worker processes; None or 0 = all cores; 1 = in-process
    timeout: float = DEFAULT_TIMEOUT     # seconds per item
    executor: str = "process"            # "process" or "dask"
    scheduler: str | None = None         # Dask scheduler address
    force: bool = False                  # rebuild outputs that are up to date
    tasks_per_worker: int | None = None  # a pool worker is replaced after this many (None: TASKS_PER_WORKER)

    @property
    def workers(self) -> int:
        return self.jobs or os.cpu_count() or 1


@dataclasses.dataclass
class Task:
    key: str                                   # unique; names the item in messages ("report-esplanade")
    fn: Callable[[Any], Any]                   # a module-level function, run by the worker
    payload: Any = None                        # its argument (picklable)
    make_payload: Callable[[], Any] | None = None   # or built in the parent when the task is sent
    heavy: bool = False                        # a process-pool worker is replaced after it (memory)

    def argument(self) -> Any:
        return self.make_payload() if self.make_payload is not None else self.payload


@dataclasses.dataclass
class Outcome:
    task: Task
    value: Any = None
    error: str | None = None
    seconds: float = 0.0
    worker: str = ""                           # process id (process pool)
    rss_mb: float | None = None                # the worker's peak resident memory after the task
    cpu_seconds: float = 0.0                   # CPU time the task used in its worker

    @property
    def ok(self) -> bool:
        return self.error is None


# --------------------------------------------------------------------------- worker side


def worker_setup() -> None:
    """Prepare a worker process once: import WeasyPrint, create its font configuration,
    draw charts in-process (the batch is already parallel)."""
    import weasyprint  # noqa: F401  (imported once per worker)

    from cxreport.present import charts
    from cxreport.present.render import font_config

    charts.CHART_PROCESSES = 1
    font_config()


def reason(exc: BaseException) -> str:
    """One line saying why an item failed."""
    if isinstance(exc, CxError):
        return " ".join(exc.format_message().split())
    text = " ".join(str(exc).split()) or type(exc).__name__
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" (at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno})"
    return f"{type(exc).__name__}: {text}{where}"


class TaskTimeout(Exception):
    pass


def _peak_rss_mb() -> float | None:
    """This process's peak resident memory. On Linux VmHWM, which starts afresh in a new
    program (ru_maxrss would carry over the peak of the process that started it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except (ImportError, OSError):  # pragma: no cover - not on Unix
        return None


def call(key: str, fn: Callable[[Any], Any], payload: Any, hook: dict | None = None) -> tuple:
    """Run one task; never raises. Returns (error or None, value, seconds, peak RSS MB, CPU seconds)."""
    t, cpu = time.perf_counter(), time.process_time()
    try:
        if hook:
            if key in hook.get("sleep", {}):
                time.sleep(float(hook["sleep"][key]))
            if key in hook.get("fail", {}):
                raise RenderError(str(hook["fail"][key]))
        value, error = fn(payload), None
    except TaskTimeout:
        value, error = None, "timed out"
    except Exception as exc:  # noqa: BLE001 - reported in the failure summary
        value, error = None, reason(exc)
    return error, value, time.perf_counter() - t, _peak_rss_mb(), time.process_time() - cpu


def _worker_main(conn) -> None:  # pragma: no cover - runs in worker processes
    try:
        worker_setup()
    except BaseException as exc:  # noqa: BLE001
        conn.send(("init-error", reason(exc)))
        return
    conn.send(("ready", None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if message is None:
            return
        result = call(*message)
        try:
            conn.send(("done", result))
        except Exception as exc:  # noqa: BLE001 - e.g. a value that cannot be pickled
            conn.send(("done", (f"the result could not be sent back: {reason(exc)}", None, *result[2:])))


# --------------------------------------------------------------------------- executors


def _test_hook() -> dict | None:
    text = os.environ.get(TEST_HOOK_ENV)
    return json.loads(text) if text else None


class _Progress:
    """A click progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, total: int, label: str):
        self.bar = None
        if sys.stderr.isatty():
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True, show_eta=True)
            self.bar.__enter__()

    def update(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def run_tasks(tasks: list[Task], options: Options, *, label: str = "Reports",
              on_done: Callable[[Outcome], None] | None = None, preload: tuple[str, ...] = ()) -> list[Outcome]:
    """Run ``tasks``; ``on_done`` is called in this process as each one finishes (in
    completion order). Returns the outcomes in task order. ``preload``: modules the pool's
    fork server imports once besides :data:`PRELOAD` and the modules of the tasks' functions
    (what every worker would otherwise import for its first task)."""
    if not tasks:
        return []
    keys = [t.key for t in tasks]
    assert len(set(keys)) == len(keys), "task keys must be unique"
    progress = _Progress(len(tasks), label)
    outcomes: list[Outcome | None] = [None] * len(tasks)

    def finish(i: int, outcome: Outcome) -> None:
        outcomes[i] = outcome
        if on_done is not None:
            on_done(outcome)
        progress.update()

    hook = _test_hook()
    try:
        if options.executor == "dask":
            _run_dask(tasks, options, hook, finish)
        elif options.workers == 1 or len(tasks) == 1:
            _run_inline(tasks, options, hook, finish)
        else:
            _run_pool(tasks, options, hook, finish, preload)
    finally:
        progress.close()
    return [o for o in outcomes if o is not None]


class _Alarm:
    """A time limit for in-process work (SIGALRM; interrupts Python code only)."""

    def __init__(self, seconds: float | None):
        import signal
        import threading

        self.seconds = seconds
        self.active = bool(seconds) and hasattr(signal, "setitimer") and \
            threading.current_thread() is threading.main_thread()

    def _fire(self, signum, frame):
        raise TaskTimeout()

    def __enter__(self):
        if self.active:
            import signal

            self.previous = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.active:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def _run_inline(tasks: list[Task], options: Options, hook, finish) -> None:
    from cxreport.present import charts

    previous = charts.CHART_PROCESSES
    charts.CHART_PROCESSES = 1 if len(tasks) > 1 else previous
    try:
        for i, task in enumerate(tasks):
            try:
                payload = task.argument()
            except Exception as exc:  # noqa: BLE001
                finish(i, Outcome(task, error=reason(exc)))
                continue
            try:
                with _Alarm(options.timeout):
                    error, value, seconds, rss, cpu = call(task.key, task.fn, payload, hook)
            except TaskTimeout:
                # The limit ran out in call's own bookkeeping (after the task's try) or just
                # before the alarm was cleared: the task used its time all the same.
                error, value, seconds, rss, cpu = "timed out", None, float(options.timeout), None, 0.0
            if error == "timed out":
                error = f"timed out after {options.timeout:g} s"
            finish(i, Outcome(task, value, error, seconds, str(os.getpid()), rss, cpu))
    finally:
        charts.CHART_PROCESSES = previous


#: Modules the pool's fork server imports before it forks any worker.
PRELOAD = ("cxreport.executor", "cxreport.present.charts", "cxreport.present.render", "weasyprint")


def _mp_context(preload: tuple[str, ...] = ()):
    """``forkserver`` where available (workers fork from a server that has imported
    cxreport and WeasyPrint once: a recycled worker starts in milliseconds), else ``spawn``.
    The fork server starts once per process, with the ``preload`` list of its first use."""
    import multiprocessing as mp

    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(dict.fromkeys([*PRELOAD, *preload])))
        return ctx
    return mp.get_context("spawn")


def prestart(options: Options, preload: tuple[str, ...] = ()) -> None:
    """Start the pool's fork server now, so that it imports WeasyPrint and ``preload``
    while this process prepares the tasks (about 1.5 s of a shop report on 2 cores). Only
    for a pool of several local workers; a no-op otherwise (and when it cannot start: the
    batch starts it, or fails, as without)."""
    if options.executor == "dask" or options.workers == 1:
        return
    ctx = _mp_context(preload)
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        try:
            forkserver.ensure_running()
        except OSError:  # pragma: no cover - e.g. no room for its socket; the batch will say
            pass


class _Slot:
    """One worker process and the task it is running."""

    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child,), daemon=True, name="cxreport-worker")
        self.process.start()
        child.close()
        self.ready = False
        self.task: int | None = None
        self.started = 0.0
        self.count = 0

    def stop(self, kill: bool = False) -> None:
        if not kill:
            try:
                self.conn.send(None)
            except OSError:
                kill = True
        if kill:
            self.process.kill()
        self.process.join(timeout=10)
        if self.process.is_alive():  # pragma: no cover - a worker that ignores the request
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


def _run_pool(tasks: list[Task], options: Options, hook, finish, preload: tuple[str, ...] = ()) -> None:
    from multiprocessing.connection import wait

    ctx = _mp_context((*preload, *sorted({t.fn.__module__ for t in tasks
                                          if getattr(t.fn, "__module__", "").startswith("cxreport.")})))
    queue = collections.deque(range(len(tasks)))
    size = min(options.workers, len(tasks))
    slots: list[_Slot] = []
    remaining = len(tasks)
    timeout = options.timeout
    # Outcomes are handed to ``finish`` (which may write files) after the free workers have
    # their next task, so that no worker waits for the files of the one before.
    finished: collections.deque = collections.deque()

    def done(slot: _Slot, error: str | None, value=None, seconds=0.0, rss=None, cpu=0.0) -> None:
        nonlocal remaining
        i = slot.task
        slot.task = None
        remaining -= 1
        finished.append((i, Outcome(tasks[i], value, error, seconds, str(slot.process.pid), rss, cpu)))

    def replace(slot: _Slot, kill: bool) -> None:
        slots.remove(slot)
        slot.stop(kill=kill)

    try:
        while remaining:
            busy = sum(s.task is not None for s in slots)
            while len(slots) < min(size, busy + len(queue)):
                slots.append(_Slot(ctx))
            for slot in slots:
                while slot.ready and slot.task is None and queue:
                    i = queue.popleft()
                    try:
                        payload = tasks[i].argument()
                        slot.conn.send((tasks[i].key, tasks[i].fn, payload, hook))
                    except Exception as exc:  # noqa: BLE001 - a payload that cannot be built or sent
                        remaining -= 1
                        finish(i, Outcome(tasks[i], error=reason(exc)))
                        continue
                    slot.task, slot.started = i, time.monotonic()
            while finished:
                finish(*finished.popleft())
            if not remaining:
                break
            running = [s for s in slots if s.task is not None]
            wait_for = None
            if running and timeout:
                wait_for = max(0.0, min(s.started for s in running) + timeout - time.monotonic())
            ready = wait([s.conn for s in slots] + [s.process.sentinel for s in slots], timeout=wait_for)
            for slot in list(slots):
                message = None
                if slot.conn in ready or slot.process.sentinel in ready:
                    try:
                        message = slot.conn.recv() if slot.conn.poll() else None
                    except (EOFError, OSError):
                        message = None
                    if message is None and not slot.process.is_alive():
                        code = slot.process.exitcode
                        if not slot.ready:
                            raise CxError(f"a worker process stopped while starting (exit code {code})")
                        if slot.task is not None:
                            how = (f"was killed by signal {-code} (out of memory?)" if code is not None and code < 0
                                   else f"stopped (exit code {code})")
                            done(slot, f"the worker process {how}")
                        replace(slot, kill=True)
                        continue
                if message is None:
                    continue
                kind, body = message
                if kind == "init-error":
                    raise CxError(f"a worker process could not start: {body}")
                if kind == "ready":
                    slot.ready = True
                    continue
                heavy = tasks[slot.task].heavy
                done(slot, *body)
                slot.count += 1
                if slot.count >= (options.tasks_per_worker or TASKS_PER_WORKER) or heavy:
                    replace(slot, kill=False)
            now = time.monotonic()
            for slot in list(slots):
                if slot.task is not None and timeout and now - slot.started >= timeout:
                    done(slot, f"timed out after {timeout:g} s (its worker process was replaced)", seconds=timeout)
                    replace(slot, kill=True)
        while finished:
            finish(*finished.popleft())
    finally:
        for slot in slots:
            slot.stop(kill=slot.task is not None)


def _worker_info(dask_worker=None) -> dict:  # runs on Dask workers
    """Prepare a Dask worker like a pool worker and report its cxreport version.

    The worker's statistical profiler is stopped: it samples the rendering thread's deep
    call stacks every few milliseconds and keeps the call trees, so a worker's memory grew
    by about 1.5 MB per report (docs/batch.md)."""
    import cxreport

    worker_setup()
    if dask_worker is not None:
        for name in ("profile", "profile-cycle"):
            callback = dask_worker.periodic_callbacks.get(name)
            if callback is not None:
                callback.stop()
    return {"version": cxreport.__version__, "python": sys.version.split()[0]}


def dask_client(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise CxError("--executor dask needs dask.distributed on this machine: pip install 'cxreport[cluster]'") from None
    try:
        return Client(address, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise CxError(f"cannot connect to the Dask scheduler at {address}: {' '.join(str(exc).split())}") from None


def _check_workers(client) -> int:
    """Every worker runs this cxreport version; returns the number of threads to keep busy."""
    from cxreport import __version__

    try:
        client.wait_for_workers(1, timeout=60)
        info = client.run(_worker_info)
    except Exception as exc:  # noqa: BLE001 - e.g. ModuleNotFoundError raised on a worker
        raise CxError(f"the Dask workers cannot run cxreport ({reason(exc)}); install cxreport {__version__}, "
                      "its fonts and system libraries on every worker (docs/batch.md)") from None
    wrong = {addr: i["version"] for addr, i in info.items() if i["version"] != __version__}
    if wrong:
        addr, version = next(iter(wrong.items()))
        raise CxError(f"Dask worker {addr} runs cxreport {version}, this is {__version__}; "
                      f"install the same version on every worker ({len(wrong)} differ)")
    return sum(client.nthreads().values()) or 1


def _run_dask(tasks: list[Task], options: Options, hook, finish) -> None:
    from distributed import wait

    if not options.scheduler:
        raise CxError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    client = dask_client(options.scheduler)
    try:
        threads = _check_workers(client)
        queue = collections.deque(range(len(tasks)))
        inflight: dict = {}                     # future → (task index, submitted at)
        timeout = options.timeout
        batch_id = os.urandom(4).hex()
        while queue or inflight:
            # Keep as many tasks in flight as there are worker threads, so that a task
            # starts when it is submitted and its time limit counts from then.
            while queue and len(inflight) < threads:
                i = queue.popleft()
                try:
                    payload = tasks[i].argument()
                except Exception as exc:  # noqa: BLE001
                    finish(i, Outcome(tasks[i], error=reason(exc)))
                    continue
                future = client.submit(call, tasks[i].key, tasks[i].fn, payload, hook, pure=False,
                                       key=f"cxreport-{batch_id}-{i}")
                inflight[future] = (i, time.monotonic())
            if not inflight:
                continue
            first = min(started for _i, started in inflight.values())
            try:
                with client.as_current():
                    finished, _pending = wait(list(inflight), return_when="FIRST_COMPLETED",
                                              timeout=max(0.05, first + timeout - time.monotonic()) if timeout else None)
            except TimeoutError:
                finished = set()
            for future in finished:
                i, _started = inflight.pop(future)
                try:
                    error, value, seconds, rss, cpu = future.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker, CancelledError…
                    error, value, seconds, rss, cpu = reason(exc), None, 0.0, None, 0.0
                finish(i, Outcome(tasks[i], value, error, seconds, "", rss, cpu))
            now = time.monotonic()
            for future, (i, started) in list(inflight.items()):
                if timeout and now - started >= timeout and future.status != "finished":
                    inflight.pop(future)
                    _kill_dask_task(client, future)
                    finish(i, Outcome(tasks[i], error=f"timed out after {timeout:g} s (its Dask worker was restarted)",
                                      seconds=timeout))
    finally:
        client.close()


def _kill_dask_task(client, future) -> None:
    """Cancel a stuck task and restart the worker running it (a thread cannot be stopped)."""
    key = future.key
    try:
        processing = client.processing()
        workers = [addr for addr, keys in processing.items() if key in keys]
        future.cancel()
        if workers:
            client.restart_workers(workers, timeout=120)
            client.run(_worker_info, workers=workers)
    except Exception:  # noqa: BLE001 - the failure is already recorded; the cluster recovers on its own
        pass
