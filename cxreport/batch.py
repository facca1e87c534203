"""Batch builds: many reports from one command, on a process pool or a Dask cluster.

Two layers (design notes in docs/batch.md):

- **The executor** (:func:`run_tasks`). A task is a plain, picklable description: a
  module-level function and its argument (project file path, settings, a unit's rows,
  output names). Tasks run in-process (``-j 1``), on a pool of worker processes started
  with ``forkserver`` (or ``spawn``) that import WeasyPrint once, reuse one font
  configuration and are recycled after :data:`TASKS_PER_WORKER` tasks, or on a Dask
  cluster (``--executor dask``). Each task has a time limit; a stuck task's worker is
  killed and replaced. Failures are collected as one line each, never raised.
- **Batch builds** (:func:`build_reports`): the client report (or quarterly review) of a
  project, optionally one per unit of a segment (``--per``), skipping outputs that are
  up to date according to ``manifest.json`` (:mod:`cxreport.manifest`). Workers return
  the rendered files; the parent writes them atomically and records them.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cxreport import manifest
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
              on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run ``tasks``; ``on_done`` is called in this process as each one finishes (in
    completion order). Returns the outcomes in task order."""
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
            _run_pool(tasks, options, hook, finish)
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


def _mp_context():
    """``forkserver`` where available (workers fork from a server that has imported
    cxreport and WeasyPrint once: a recycled worker starts in milliseconds), else ``spawn``."""
    import multiprocessing as mp

    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["cxreport.batch", "cxreport.build", "cxreport.present.charts",
                                   "cxreport.present.context", "cxreport.present.render", "weasyprint"])
        return ctx
    return mp.get_context("spawn")


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


def _run_pool(tasks: list[Task], options: Options, hook, finish) -> None:
    from multiprocessing.connection import wait

    ctx = _mp_context()
    queue = collections.deque(range(len(tasks)))
    size = min(options.workers, len(tasks))
    slots: list[_Slot] = []
    remaining = len(tasks)
    timeout = options.timeout

    def done(slot: _Slot, error: str | None, value=None, seconds=0.0, rss=None, cpu=0.0) -> None:
        nonlocal remaining
        i = slot.task
        slot.task = None
        remaining -= 1
        finish(i, Outcome(tasks[i], value, error, seconds, str(slot.process.pid), rss, cpu))

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
                if slot.count >= TASKS_PER_WORKER or heavy:
                    replace(slot, kill=False)
            now = time.monotonic()
            for slot in list(slots):
                if slot.task is not None and timeout and now - slot.started >= timeout:
                    done(slot, f"timed out after {timeout:g} s (its worker process was replaced)", seconds=timeout)
                    replace(slot, kill=True)
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


# --------------------------------------------------------------------------- names


#: Windows device names: never a file name's stem, whatever the extension ("NUL.txt" is NUL too).
_RESERVED = {"con", "prn", "aux", "nul", "conin$", "conout$", *(f"com{i}" for i in "0123456789¹²³"),
             *(f"lpt{i}" for i in "0123456789¹²³")}
#: Longest unit slug, in UTF-8 bytes (hash included): with the report's name and extension
#: the file name stays far below the 255 bytes every file system allows.
SLUG_BYTES = 80
#: Characters of the label's SHA-256 appended to a slug that is capped, empty, reserved,
#: taken twice, or looks like one that has a hash.
HASH_CHARS = 8
_HASHED = re.compile(rf"-[0-9a-f]{{{HASH_CHARS}}}$")


def slug(text: str) -> str:
    """A file-name-safe form of a unit name: letters and digits of any script kept
    (Chinese names stay Chinese), lower-cased, anything else (punctuation, spaces, invisible
    and control characters, lone surrogates) a single hyphen; never longer than
    :data:`SLUG_BYTES` bytes; ``unit`` when nothing is left. :func:`unit_slugs` makes them
    unique."""
    return _cap(_slug_text(text), SLUG_BYTES) or "unit"


def _slug_text(text: str) -> str:
    """NFKC, case-folded, every run of anything but letters and digits one hyphen (uncapped)."""
    text = unicodedata.normalize("NFKC", str(text).encode("utf-8", "replace").decode("utf-8")).casefold()
    return re.sub(r"[^\w]+|_+", "-", text, flags=re.UNICODE).strip("-")


def _cap(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (at a character boundary), no hyphen at the end."""
    data = text.encode("utf-8")
    if len(data) > limit:
        text = data[:limit].decode("utf-8", "ignore")
    return text.strip("-")


def _label_hash(label: str, chars: int = HASH_CHARS) -> str:
    return hashlib.sha256(str(label).encode("utf-8", "surrogatepass")).hexdigest()[:chars]


def unit_slugs(labels: list[str], reserved: set[str] = frozenset()) -> dict[str, str]:
    """A unique slug per label, stable from one build to the next and whatever the order of
    the labels. A slug gets a short hash of its label appended (``-1a2b3c4d``) when the
    label's own slug was capped at :data:`SLUG_BYTES`, came out empty, is reserved (or a
    Windows device name), is shared by another label, or itself ends like a hash; so slugs
    without a hash are unique among themselves and can never equal one with a hash. File
    names are unique by construction, also on file systems that ignore case."""
    labels = list(dict.fromkeys(labels))
    base = {}
    for label in labels:
        full = _slug_text(label)
        capped = _cap(full, SLUG_BYTES)
        base[label] = (capped, not capped or capped != full)      # (slug, capped or empty)
    counts = collections.Counter(s for s, _cut in base.values())
    out: dict[str, str] = {}
    for label, (s, cut) in base.items():
        if cut or counts[s] > 1 or s in reserved or s in _RESERVED or _HASHED.search(s):
            s = f"{_cap(s or 'unit', SLUG_BYTES - HASH_CHARS - 1) or 'unit'}-{_label_hash(label)}"
        out[label] = s
    # Two hashes alike (one chance in four billion per pair): longer hashes for those labels.
    taken = collections.Counter(out.values())
    for label, s in out.items():
        if taken[s] > 1:
            out[label] = f"{_cap(s[:-HASH_CHARS - 1], SLUG_BYTES - 33) or 'unit'}-{_label_hash(label, 32)}"
    return out


# --------------------------------------------------------------------------- batch builds


@dataclasses.dataclass
class Unit:
    label: str
    slug: str
    base: int                     # respondents in the reporting window
    status: str = "written"       # written | up to date | failed
    period: str = ""              # the reporting window's label
    error: str | None = None
    files: dict[str, str] = dataclasses.field(default_factory=dict)   # format → file name


@dataclasses.dataclass
class BatchResult:
    out_dir: Path
    paths: dict[str, Path]                           # the total report: format → path
    warnings: list[str]
    units: list[Unit]
    written: int = 0
    skipped: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)
    index: Path | None = None
    manifest: Path | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        n = self.written + self.skipped
        failed = len(self.failures)
        failed_text = f"; {failed} report{'s' if failed != 1 else ''} failed" if failed else ""
        return (f"{n} file{'s' if n != 1 else ''}: {self.written} written, {self.skipped} up to date"
                f"{failed_text} ({self.seconds:.1f} s)")


def check_segment(project, per: str) -> str:
    """The segment named by ``--per``, or a usage error with a suggestion."""
    from cxreport.util import did_you_mean

    names = list(project.columns.segments)
    if per in names:
        return per
    folded = {n.casefold(): n for n in names}
    if per.casefold() in folded:
        return folded[per.casefold()]
    listed = ", ".join(names) if names else "none (add columns.segments to the project file)"
    raise click.BadParameter(f"no segment '{per}' in the project{did_you_mean(per, names)}; its segments: {listed}",
                             param_hint="--per")


_PROJECTS: dict[tuple, Any] = {}


def _project(payload: dict):
    """The project of a task, loaded once per worker (and checked to be the parent's)."""
    from cxreport.config import load_project
    from cxreport.util import sha256_file

    path = Path(payload["project"])
    if sha256_file(path) != payload["project_sha256"]:
        raise CxError(f"{path}: the project file changed during the build (or differs on this worker)")
    key = (str(path), payload["project_sha256"], payload["allow_outside"])
    if key not in _PROJECTS:
        _PROJECTS.clear()
        _PROJECTS[key] = load_project(path, allow_outside=payload["allow_outside"])
    project = _PROJECTS[key]
    if payload.get("period"):
        # The window the parent chose (the project file's, the review's or --period).
        period, origin = payload["period"]
        report = project.report.model_copy(update={"period": period, "period_from": origin})
        project = project.model_copy(update={"report": report})
    return project


def _build_files(project, payload: dict, study=None) -> dict:
    """Build into a private temporary folder and return the files' bytes."""
    import shutil
    import tempfile

    from cxreport.build import build

    tmp = Path(tempfile.mkdtemp(prefix="cxreport-"))
    try:
        result = build(project, tmp, formats=tuple(payload["formats"]), report=payload["report"],
                       strict=payload["strict"], build_date=payload["build_date"], study=study, name=payload["name"])
        files = {p.name: p.read_bytes() for p in sorted(tmp.iterdir()) if p.is_file()}
        return {"files": files, "warnings": result.warnings}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def render_total(payload: dict) -> dict:
    """Task: the whole project's report, exactly as ``cxreport build`` makes it."""
    return _build_files(_project(payload), payload)


def unit_narrative(project, slug: str, allow_outside: bool = False) -> Path | None:
    """The unit's own narrative file (``report.narrative.per_unit`` with ``{unit}`` filled in
    by the unit's slug), when the project names a pattern and the file exists; a path that
    leaves the project folder is an error (unless outside paths are allowed)."""
    from cxreport.config.paths import resolve_in_project
    from cxreport.errors import ConfigError

    pattern = project.report.narrative.per_unit
    if not pattern:
        return None
    text = pattern.replace("{unit}", slug)
    try:
        path = resolve_in_project(text, {"base_dir": project.base_dir, "allow_outside": allow_outside},
                                  must_exist=False)
    except ValueError as exc:
        raise ConfigError(f"report.narrative.per_unit: {exc}") from None
    return path if path.is_file() else None


def unit_project(project, label: str, narrative_file: Path | None):
    """The project as a unit's report sees it: titled with the unit, and with none of the
    network's prose: the executive summary (and the quarterly review's commentary) is the
    unit's own narrative file or nothing, and there are no recommendations."""
    narrative = project.report.narrative.model_copy(update={"executive_summary": narrative_file,
                                                            "recommendations": None})
    report = project.report.model_copy(update={"title": f"{project.report.title} — {label}", "narrative": narrative})
    quarterly = project.quarterly.model_copy(update={"narrative": narrative_file})
    return project.model_copy(update={"report": report, "quarterly": quarterly})


def render_unit(payload: dict) -> dict:
    """Task: one unit's report, from the unit's validated respondents (every response, so
    that trends and comparisons work), for the network's reporting window, compared with the
    network and its parent unit (the payload's :class:`~cxreport.scoring.units.UnitReport`)."""
    import pandas as pd

    from cxreport.load.tabular import Table
    from cxreport.pipeline import score_data

    project = _project(payload)
    unit = payload["unit"]
    unit_report = unit["report"]
    unit_report = dataclasses.replace(
        unit_report, narrative=unit_narrative(project, unit_report.slug, payload["allow_outside"]))
    project = unit_project(project, unit["label"], unit_report.narrative)
    table = Table(pd.DataFrame(), unit["file"], Path(project.survey.file))
    from cxreport import i18n

    with i18n.use_language(project.language):      # words made while scoring are the report's
        study = score_data(project, table, unit["data"], window=unit["window"], competitors=unit["competitors"],
                       unit=unit_report)
    result = _build_files(project, payload, study)
    result["warnings"] = [*result["warnings"], *unit_report.notes]
    return result


def _output_files(name: str, formats: tuple[str, ...]) -> dict[str, str]:
    return {fmt: f"{name}.{fmt}" for fmt in formats}


def build_reports(project, out_dir: Path, *, formats: tuple[str, ...] = ("html", "pdf"), report: str = "client",
                  strict: bool = False, per: str | None = None, options: Options | None = None,
                  build_date: dt.date | None = None, allow_outside: bool = False) -> BatchResult:
    """Build the report of ``project`` (a loaded Project) into ``out_dir`` and, with
    ``per``, one per unit of that segment plus an index; record everything in
    ``manifest.json``. Outputs that are up to date are skipped unless ``options.force``.

    A single build (no ``per``) raises the build's own error (exit 1) when it fails; a
    batch collects failures and raises :class:`BatchFailed` (exit 3) at the end, after
    writing everything else, the index and the manifest.
    """
    from cxreport.present.render import write_outputs
    from cxreport.util import sha256_file

    t0 = time.perf_counter()
    options = options or Options()
    from cxreport.build import window_for

    project = window_for(project, report)
    out_dir = Path(out_dir)
    started = manifest.now()
    if per is not None:
        per = check_segment(project, per)
    project_file = Path(project.path)
    project_sha = sha256_file(project_file)
    base = project.base_dir
    inputs = manifest.hash_inputs(manifest.project_inputs(project), base)
    name = project.report.output_name + ("-quarterly" if report == "quarterly" else "")
    settings = {"report": report, "formats": list(formats), "per": per, "language": project.language,
                "strict": strict, "build_date": build_date.isoformat() if build_date else None,
                "period": project.report.period}
    # What an output's content depends on (not: strict, the other formats, per for the total).
    # The window is part of it: `--period` changes the reports without changing the project file.
    key_base = {"tool": manifest.tool_fingerprint(), "project": project_sha, "inputs": inputs,
                "report": report, "build_date": settings["build_date"], "period": project.report.period}

    def key(fmt: str, unit: str | None) -> str:
        return manifest.digest({**key_base, "format": fmt, "unit": [per, unit] if unit is not None else None})

    previous, warning = manifest.read(out_dir)
    warnings = [warning] if warning else []
    entries: list[dict] = []
    failures: list[dict] = []
    replaces: set[str] = set()
    counts = {"written": 0, "skipped": 0}

    def fresh(file: str, k: str) -> bool:
        return not options.force and previous.up_to_date(out_dir, file, k)

    def keep(file: str) -> None:
        entries.append(previous.outputs[file])
        counts["skipped"] += 1

    payload_base = {"project": str(project_file.resolve()), "project_sha256": project_sha,
                    "allow_outside": allow_outside, "report": report, "strict": strict, "build_date": build_date,
                    "period": [project.report.period, project.report.period_from]}

    # ---- the total
    total_files = _output_files(name, formats)
    total_todo = [fmt for fmt, f in total_files.items() if not fresh(f, key(fmt, None))]
    for fmt, f in total_files.items():
        if fmt not in total_todo:
            keep(f)

    # ---- the units
    units: list[Unit] = []
    unit_tasks: list[Task] = []
    if per is not None:
        same = previous.data.get("settings", {})
        previous_units = previous.data.get("units") if (same.get("per") == per
                                                        and same.get("period") == project.report.period) else None
        can_skip_reading = (not options.force and previous_units is not None
                            and previous.data.get("inputs") == inputs
                            and previous.data.get("project", {}).get("sha256") == project_sha)
        if can_skip_reading:
            listed = [Unit(u["label"], u["slug"], u["base"], period=u.get("period", "")) for u in previous_units]
            can_skip_reading = all(fresh(f, key(fmt, u.label))
                                   for u in listed for fmt, f in _output_files(f"{name}-{u.slug}", formats).items())
        if can_skip_reading:
            # Nothing changed: the unit list is the previous build's; no data is read.
            for u in listed:
                u.status = "up to date"
                u.files = _output_files(f"{name}-{u.slug}", formats)
                for f in u.files.values():
                    keep(f)
            units = listed
        else:
            units, unit_tasks = _plan_units(project, per, name, formats, payload_base, strict, key, fresh, keep)
        # Outputs of units that no longer exist are dropped from the manifest.
        current = {f for u in units for f in _output_files(f"{name}-{u.slug}", formats).values()}
        replaces |= {f for f, o in previous.outputs.items()
                     if o.get("segment") == per and o.get("unit") is not None and f not in current}

    tasks: list[Task] = []
    if total_todo:
        # The whole project: the longest task, first; its worker is replaced afterwards.
        tasks.append(Task(name, render_total, {**payload_base, "formats": total_todo, "name": name}, heavy=True))
    tasks += unit_tasks
    by_key = {u.slug: u for u in units}
    total_paths: dict[str, Path] = {}

    def on_done(outcome: Outcome) -> None:
        task = outcome.task
        unit = by_key.get(task.key[len(name) + 1:]) if task.key != name else None
        label = f"{per} '{unit.label}'" if unit else "the total report"
        if outcome.ok:
            files = outcome.value["files"]
            try:
                write_outputs(files, out_dir)
            except CxError as exc:
                outcome.error = reason(exc)
            else:
                for w in outcome.value["warnings"]:
                    if w not in warnings:
                        warnings.append(w)
                for file in files:
                    fmt = Path(file).suffix[1:]
                    entries.append(manifest.output_entry(
                        out_dir, file, key(fmt, unit.label if unit else None), format=fmt, report=report,
                        segment=per if unit else None, unit=unit.label if unit else None,
                        inputs=[manifest.rel(project_file, base), *inputs]))
                    counts["written"] += 1
                    if unit:
                        unit.files[fmt] = file
                return
        failures.append({"item": task.key, "what": label, "reason": outcome.error})
        if unit:
            unit.status, unit.error = "failed", outcome.error
            replaces.update(_output_files(task.key, formats).values())
        else:
            replaces.update(total_files.values())

    if tasks and per is not None:
        from cxreport.present.render import ensure_output_folder

        ensure_output_folder(out_dir)    # before a batch starts
    if tasks:
        where = ("in this process" if options.executor != "dask" and (options.workers == 1 or len(tasks) == 1)
                 else f"on the Dask cluster at {options.scheduler}" if options.executor == "dask"
                 else f"on {min(options.workers, len(tasks))} worker processes")
        if per is not None:
            click.echo(f"Rendering {len(tasks)} report{'s' if len(tasks) != 1 else ''} {where} …", err=True)
        if per is None and options.executor != "dask":
            # A single report: built here, its errors are the command's errors (exit 1).
            payload = tasks[0].payload
            result = render_total(payload)
            on_done(Outcome(tasks[0], result))
        else:
            run_tasks(tasks, options, label="Reports", on_done=on_done)
    if per is None and failures:
        raise CxError(failures[0]["reason"])

    for fmt, f in total_files.items():
        if (out_dir / f).is_file() and not any(x["item"] == name for x in failures):
            total_paths[fmt] = out_dir / f
    index = None
    if per is not None:
        for u in units:
            for fmt, f in _output_files(f"{name}-{u.slug}", formats).items():
                if u.status != "failed" and (out_dir / f).is_file():
                    u.files[fmt] = f
        index = _write_index(project, out_dir, name, per, units, total_paths, report)
        entries.append(manifest.output_entry(out_dir, index.name, manifest.digest(index.read_bytes()),
                                             format="html", report=report, segment=per, unit=None, kind="index"))
    source = {"project": {"file": str(project_file.resolve()), "sha256": project_sha}}
    if per is not None:
        source["units"] = [{"label": u.label, "slug": u.slug, "base": u.base, "period": u.period} for u in units]
    manifest_path = None
    if entries or failures:
        manifest_path = write_manifest(out_dir, kind="build", source=source, inputs=inputs, settings=settings,
                                       outputs=entries, failures=failures, previous=previous, replaces=replaces,
                                       started=started)
    result = BatchResult(out_dir, total_paths, warnings, units, counts["written"], counts["skipped"],
                         [f"{x['item']} ({x['what']}): {x['reason']}" for x in failures], index, manifest_path,
                         time.perf_counter() - t0)
    return result


def write_manifest(out_dir: Path, **fields) -> Path:
    try:
        return manifest.write(out_dir, **fields)
    except OSError as exc:
        raise RenderError(f"cannot write {Path(out_dir) / manifest.MANIFEST}: {exc.strerror}") from None


def _plan_units(project, per: str, name: str, formats, payload_base: dict, strict: bool, key, fresh, keep):
    """Score the whole project once; one task per unit whose outputs are not up to date,
    carrying that unit's validated respondents (every response: trends and comparisons),
    the network's reporting window and the unit's comparison with the network
    (:func:`cxreport.scoring.units.unit_reports`, computed for all units at once)."""
    import numpy as np

    from cxreport import i18n
    from cxreport.pipeline import run
    from cxreport.scoring.kpis import BaseRules
    from cxreport.scoring.units import unit_reports
    from cxreport.validate import subset

    # In the report's language: period labels and default KPI names made here are the units'.
    with i18n.use_language(project.language):
        study = run(project, strict=strict)       # a project that cannot be built fails here (exit 1)
        full, window = study.full, study.window
        competitors, file_name = study.competitors, study.table.name
        group = next(g for g in full.segments if g.name == per)
        slugs = unit_slugs(group.labels, reserved={"index"})
        reports = unit_reports(study.data, per, rules=BaseRules(project.bases.suppress_below, project.bases.flag_below),
                               alpha=project.significance.alpha, period=window.label, network=project.client.name,
                               slugs=slugs, hierarchy=project.hierarchy, structure=full)
    del study                                  # the raw text table is no longer needed
    order = np.argsort(group.codes, kind="stable")
    counts = np.bincount(group.codes, minlength=len(group.labels))
    starts = np.concatenate([[0], np.cumsum(counts)])
    units: list[Unit] = []
    tasks: list[Task] = []
    for code, label in enumerate(group.labels):
        unit = Unit(label, slugs[label], int(reports[label].base), period=window.label)
        units.append(unit)
        unit_name = f"{name}-{unit.slug}"
        files = _output_files(unit_name, formats)
        todo = [fmt for fmt, f in files.items() if not fresh(f, key(fmt, label))]
        for fmt, f in files.items():
            if fmt not in todo:
                keep(f)
                unit.files[fmt] = f
        if not todo:
            unit.status = "up to date"
            continue

        def make(rows=order[starts[code]:starts[code + 1]], label=label, todo=todo, unit_name=unit_name):
            return {**payload_base, "formats": todo, "name": unit_name,
                    "unit": {"segment": per, "label": label, "file": file_name,
                             "data": subset(project, full, rows), "competitors": competitors,
                             "window": window, "report": reports[label]}}

        tasks.append(Task(unit_name, render_unit, make_payload=make))
    return units, tasks


def _write_index(project, out_dir: Path, name: str, per: str, units: list[Unit], total: dict[str, Path],
                 report: str) -> Path:
    """``<name>-index.html``: every unit with its base and links to its reports."""
    from cxreport import __version__, i18n

    with i18n.use_language(project.language):    # the index page in the report's language
        return _index_page(project, out_dir, name, report, per, units, total, __version__)


def _index_page(project, out_dir: Path, name: str, report: str, per: str, units: list[Unit],
                total: dict[str, Path], version: str) -> Path:
    import urllib.parse

    from cxreport.i18n import _
    from cxreport.present.render import brand_css, make_environment

    rows = [{"label": u.label, "base": u.base, "status": u.status, "error": u.error,
             "links": [{"format": fmt.upper(), "href": urllib.parse.quote(f)} for fmt, f in sorted(u.files.items())]}
            for u in units]
    title = project.report.title + (" — " + _("Quarterly management review") if report == "quarterly" else "")
    context = {
        "lang": project.language, "version": version, "segment": per,
        "client": {"name": project.client.name},
        "report": {"title": title, "subtitle": None, "prepared_by": project.report.prepared_by,
                   "date": project.report.date or dt.date.today(), "confidentiality": project.report.confidentiality},
        "total": [{"format": fmt.upper(), "href": urllib.parse.quote(p.name)} for fmt, p in sorted(total.items())],
        "units": rows, "total_base": sum(u.base for u in units),
        "period": next((u.period for u in units if u.period), ""),
    }
    env = make_environment()
    html = env.get_template("batch_index.html").render(
        **context, brand_css=brand_css({"primary": project.brand.primary, "accent": project.brand.accent,
                                                "font": project.brand.font}, project.language))
    path = out_dir / f"{name}-index.html"
    data = html.encode("utf-8")
    if not (path.is_file() and path.read_bytes() == data):
        from cxreport.present.render import write_outputs

        write_outputs({path.name: data}, out_dir)
    return path


def render_context(payload: dict) -> dict:
    """Task: one report from a ready-made context (mystery-shop scoresheets and location
    reports); returns the files' bytes."""
    import shutil
    import tempfile

    from cxreport.present.render import render_report

    tmp = Path(tempfile.mkdtemp(prefix="cxreport-"))
    try:
        rendered = render_report(payload["context"], template=payload["template"], out_dir=tmp, name=payload["name"],
                                 formats=tuple(payload["formats"]), allowed_dirs=[Path(p) for p in payload["allowed"]])
        return {"files": {p.name: p.read_bytes() for p in rendered.paths.values()}, "warnings": rendered.warnings}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
