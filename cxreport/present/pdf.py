"""The PDF engine: WeasyPrint behind a restricted URL fetcher, in this process or in a PDF
process started at the beginning of a build.

- :class:`RestrictedFetcher` allows ``data:`` URLs and files inside the project and template
  folders and fails the build on anything else: no network, ever. :func:`refuse_attachments`
  refuses ``rel=attachment`` links (a report never embeds files).
- :func:`html_to_pdf` makes the PDF of a report's HTML. A build that writes a PDF first calls
  :func:`prestart`: a fresh Python process (not a fork) imports WeasyPrint while this one reads
  and scores the data and draws the charts, then lays the document out while this one writes
  the other formats. The HTML goes to it over a pipe, the PDF's bytes (or the error) come
  back; WeasyPrint's memory is the PDF process's, not the build's. The process serves one
  document and exits; a build that never asks for its PDF (it failed before) ends it.
  Without a started process (a batch worker, a test calling the function, a machine where
  the process cannot start) the PDF is made here, with the same result and the same errors.
- A report from project or theme templates is made under the bounds of
  :class:`~cxreport.present.sandbox.RenderGuard` (``guarded=True``), in whichever process
  makes the PDF, with the limits this process has at the time of the call.
"""

from __future__ import annotations

import atexit
import os
import pickle
import struct
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from cxreport.errors import RenderError
from cxreport.resources import templates_dir


class RestrictedFetcher:
    """Allows ``data:`` URLs and ``file:`` URLs inside the given folders; refuses the rest."""

    def __init__(self, allowed_dirs: list[Path]):
        self.allowed = [Path(p).resolve() for p in allowed_dirs]
        self.refused: list[str] = []

    def allows(self, url: str) -> bool:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme == "data":
            return True
        if scheme == "file":
            path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path)).resolve()
            return any(path.is_relative_to(d) for d in self.allowed) and path.is_file()
        return False

    def build(self):
        from weasyprint.urls import FatalURLFetchingError, URLFetcher

        outer = self

        class _Fetcher(URLFetcher):
            def fetch(self, url, headers=None):
                if not outer.allows(url):
                    outer.refused.append(url)
                    raise FatalURLFetchingError(f"refused to fetch {url}")
                return super().fetch(url, headers)

        return _Fetcher(allowed_protocols={"data", "file"}, allow_redirects=False, fail_on_errors=True, timeout=5)


_FONT_CONFIG = None


def font_config():
    """One WeasyPrint FontConfiguration per process, reused by every document it renders."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:
        from weasyprint.text.fonts import FontConfiguration

        _FONT_CONFIG = FontConfiguration()
        _at_worker_exit()
    return _FONT_CONFIG


def drop_font_config() -> None:
    """Let go of this process's FontConfiguration while the interpreter is whole: WeasyPrint
    then removes the folder where it wrote the fonts of a theme's ``@font-face`` rules (at
    interpreter shutdown its clean-up fails, and a process ended by ``os._exit`` never runs it)."""
    global _FONT_CONFIG
    config, _FONT_CONFIG = _FONT_CONFIG, None
    # The configuration may still be held by a reference cycle (a laid-out document): remove
    # its folder now rather than when (if ever) the cycle is collected.
    folder = getattr(config, "_folder", None)
    if folder:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        config._folder = None


atexit.register(drop_font_config)


def _forget_font_config() -> None:
    """In a forked child: its own FontConfiguration when it needs one (the parent's folder is
    the parent's to remove)."""
    global _FONT_CONFIG
    _FONT_CONFIG = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_font_config)


def _at_worker_exit() -> None:
    """The same in a pool worker, which ends with ``os._exit`` after multiprocessing's own
    finalizers (not ``atexit``)."""
    from multiprocessing import util

    util.Finalize(None, drop_font_config, exitpriority=1)


def refuse_attachments(document, fetcher: RestrictedFetcher) -> None:
    """WeasyPrint embeds the target of ``<link rel=attachment>`` and ``<a rel=attachment>``
    in the PDF. The fetcher allows files inside the project, so such a link would put the
    survey data itself into a client's PDF. A report never attaches files: refuse, before
    anything is fetched (attachments are read only when the PDF is written)."""
    links = [target for page in document.pages for kind, target, _rect, _box in page.links if kind == "attachment"]
    # The URL of a <link rel=attachment> sits in its (not yet opened) source's arguments.
    heads = [next((a for a in getattr(att.source, "args", ()) if isinstance(a, str)), "<link rel=attachment>")
             for att in document.metadata.attachments]
    urls = list(dict.fromkeys(heads + links))
    if not urls:
        return
    outside = [u for u in urls if not fetcher.allows(u)]
    if outside:
        raise RenderError("the report refers to a resource outside the project and template folders: "
                          + ", ".join(outside[:3]) + " (as a file to attach to the PDF)")
    raise RenderError(f"the report asks to attach {', '.join(urls[:3])} to the PDF; cxreport never embeds files "
                      "in a report")


def _limits() -> tuple[float, int]:
    from cxreport.present import sandbox

    return float(sandbox.PDF_SECONDS), int(sandbox.PDF_MEMORY_MB)


def make_pdf(html: str, allowed_dirs: list[Path], *, guarded: bool = False,
             limits: tuple[float, int] | None = None, stylesheets: list | None = None, cache=None,
             before_write=None) -> bytes:
    """The PDF of ``html``, made in this process (``guarded``: under the PDF bounds of
    :class:`~cxreport.present.sandbox.RenderGuard`, ``limits`` = (seconds, MB) when given).
    ``stylesheets`` (parsed ``weasyprint.CSS``) and ``cache`` (WeasyPrint's image cache) let a
    worker that makes many documents parse its stylesheet and pictures once.
    ``before_write()`` is called between the layout and the writing of the PDF (when the
    pictures' bytes are read: the charts drawn meanwhile, see :class:`Pending`)."""
    if not guarded:
        return _make_pdf(html, allowed_dirs, stylesheets=stylesheets, cache=cache, before_write=before_write)
    from cxreport.present import sandbox

    if limits is not None:
        sandbox.PDF_SECONDS, sandbox.PDF_MEMORY_MB = limits
    with sandbox.RenderGuard(pdf=True):
        return _make_pdf(html, allowed_dirs, stylesheets=stylesheets, cache=cache, before_write=before_write)


def _make_pdf(html: str, allowed_dirs: list[Path], *, stylesheets: list | None = None, cache=None,
              before_write=None) -> bytes:
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    fetcher = RestrictedFetcher(allowed_dirs)
    try:
        document = weasyprint.HTML(string=html, base_url=str(templates_dir()) + os.sep,
                                   url_fetcher=fetcher.build()).render(stylesheets=stylesheets or [], pdf_tags=True,
                                                                       font_config=font_config(), cache=cache)
        refuse_attachments(document, fetcher)
        if before_write is not None:
            before_write()
        pdf = document.write_pdf(pdf_tags=True)
    except FatalURLFetchingError:
        pdf = None
    # WeasyPrint swallows some fetch errors (inside SVG images); refuse the build all the same.
    if pdf is None or fetcher.refused:
        raise RenderError("the report refers to a resource outside the project and template folders: "
                          + ", ".join(fetcher.refused[:3]))
    return pdf


# --------------------------------------------------------------------------- the PDF process

#: Set to "0" to make every PDF in the building process (no PDF process).
ENV_SWITCH = "CXREPORT_PDF_PROCESS"

_HEADER = struct.Struct("!Q")


def _send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream):
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    size = _HEADER.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    # The bytes come from the PDF process this process started itself, over its own pipe.
    return pickle.loads(data)  # noqa: S301


class PdfProcess:
    """A PDF process: started with WeasyPrint importing, then asked for one PDF."""

    def __init__(self):
        #: The PDF process's own steps (seconds), once it answered: layout, waiting, writing.
        self.timings: dict[str, float] = {}
        #: What the PDF process found of its libraries (:func:`libraries`), once it answered.
        self.libraries: dict[str, bool] = {}
        self.proc = subprocess.Popen([sys.executable, "-m", "cxreport.present.pdf"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, close_fds=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, html: str, allowed_dirs: list[Path], guarded: bool, hold: bool = False) -> bool:
        """Hand the document over; False when the process is gone (the PDF is then made here).
        ``hold``: the process lays the document out, then waits for :meth:`release`."""
        request = {"html": html, "allowed": [str(d) for d in allowed_dirs], "guarded": guarded,
                   "limits": _limits(), "hold": hold}
        try:
            _send(self.proc.stdin, request)
            if not hold:
                self.proc.stdin.close()
            return True
        except (BrokenPipeError, OSError):
            self.close()
            return False

    def release(self) -> None:
        """Let a held process write its PDF."""
        try:
            _send(self.proc.stdin, "write")
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def receive(self) -> bytes:
        """The PDF's bytes, or the error the PDF process met (raised here)."""
        try:
            reply = _receive(self.proc.stdout)
        except (EOFError, OSError):
            reply = None
        finally:
            self.close()
        if reply is None:
            raise _Unavailable
        if reply[0] == "pdf":
            self.timings = dict(reply[2]) if len(reply) > 2 else {}
            self.libraries = dict(reply[3]) if len(reply) > 3 else {}
            return reply[1]
        _kind, name, message = reply
        raise _rebuild(name, message)

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:  # pragma: no cover - already closed
                pass
        if self.proc.poll() is None:
            # Asked to end (it removes WeasyPrint's font folder first), then made to.
            self.proc.terminate()
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait()


class _Unavailable(Exception):
    """The PDF process ended without an answer (killed, out of memory): make the PDF here."""


def _rebuild(name: str, message: str) -> BaseException:
    from cxreport.present import sandbox

    kinds = {"RenderError": RenderError, "PdfTimeLimit": sandbox.PdfTimeLimit,
             "PdfMemoryLimit": sandbox.PdfMemoryLimit}
    kind = kinds.get(name)
    if kind is None:
        return RenderError(f"making the PDF failed: {message}")
    return kind(message)


_STARTED: PdfProcess | None = None


def prestart() -> None:
    """Start the PDF process of this build now (idempotent), so that it imports WeasyPrint
    while the build works. Not in a daemonic process (a pool or Dask worker, which renders
    in itself), nor when ``CXREPORT_PDF_PROCESS=0``."""
    global _STARTED
    import multiprocessing as mp

    if _STARTED is not None and _STARTED.alive():
        return
    if os.environ.get(ENV_SWITCH, "1") == "0" or mp.current_process().daemon \
            or mp.current_process().name != "MainProcess":
        return
    try:
        _STARTED = PdfProcess()
    except OSError:  # pragma: no cover - cannot start a process: the PDF is made here
        _STARTED = None


def discard() -> None:
    """End a started PDF process that will not be asked (the build failed or made no PDF)."""
    global _STARTED
    started, _STARTED = _STARTED, None
    if started is not None:
        started.close()


atexit.register(discard)


class Pending:
    """A PDF on its way: :meth:`result` gives its bytes (or raises its error).

    ``hold=True`` (only with a started PDF process, :func:`can_hold`): the process lays the
    document out and waits before writing it, while this process draws the pictures the
    document refers to (files whose headers already give their sizes, read when the PDF is
    written). :meth:`release` lets it write; :meth:`cancel` ends it unwritten."""

    def __init__(self, html: str, allowed_dirs: list[Path], guarded: bool, hold: bool = False):
        global _STARTED
        self.args = (html, list(allowed_dirs), guarded)
        self.held = False
        #: The PDF process's steps (seconds) when it made the PDF: "PDF layout", "PDF waiting for
        #: the charts" (a held document), "PDF writing".
        self.timings: dict[str, float] = {}
        #: What WeasyPrint found of its libraries where it made the PDF (:func:`libraries`).
        self.libraries: dict[str, bool] = {}
        started, _STARTED = _STARTED, None
        self.process = started if started is not None and started.alive() \
            and started.send(*self.args, hold=hold) else None
        if started is not None and self.process is None:
            started.close()
        if self.process is not None:
            _BUSY.add(id(self))
            self.held = hold

    def release(self) -> None:
        """The pictures are in place: the held process writes the PDF."""
        if self.held:
            self.held = False
            # A process gone already (it met an error while laying out: its reply is in the
            # pipe; or it was killed) is answered for by result().
            self.process.release()

    def result(self) -> bytes:
        html, allowed_dirs, guarded = self.args
        self.release()
        if self.process is not None:
            process, self.process = self.process, None
            _BUSY.discard(id(self))
            try:
                pdf = process.receive()
                self.timings = process.timings
                self.libraries = process.libraries or libraries()
                return pdf
            except _Unavailable:
                pass
        pdf = make_pdf(html, allowed_dirs, guarded=guarded)
        self.libraries = libraries()
        return pdf

    def cancel(self) -> None:
        _BUSY.discard(id(self))
        if self.process is not None:
            self.process.close()
            self.process = None


def can_hold() -> bool:
    """Whether a PDF started by :func:`submit` now would be made in a started PDF process
    (which can lay it out while this process draws its pictures, ``hold=True``)."""
    return _STARTED is not None and _STARTED.alive()


def busy() -> bool:
    """Whether a PDF process is making a PDF now (it has a core to itself)."""
    return bool(_BUSY)


_BUSY: set[int] = set()


def submit(html: str, allowed_dirs: list[Path], *, guarded: bool = False, hold: bool = False) -> Pending:
    """Start making the PDF of ``html`` in the build's PDF process when one was started (the
    build goes on meanwhile); without one, the PDF is made when its result is asked for.
    ``hold``: see :class:`Pending`."""
    return Pending(html, allowed_dirs, guarded, hold)


def html_to_pdf(html: str, allowed_dirs: list[Path], *, guarded: bool = False) -> bytes:
    """The PDF of ``html`` (see the module's description): in the started PDF process when
    there is one, here otherwise."""
    return submit(html, allowed_dirs, guarded=guarded).result()


def _wait_at_first_picture(wait) -> bool:
    """Make WeasyPrint call ``wait()`` before it reads a picture from a file (the pictures a
    held document refers to are read when the PDF is written, after its pages are painted
    and its fonts subset). False when this WeasyPrint reads pictures otherwise (the caller
    then waits before the PDF is written)."""
    try:
        from weasyprint import images

        lazy = images.LazyLocalImage
        original = lazy.__dict__["data"]
    except (ImportError, AttributeError, KeyError):  # pragma: no cover - another WeasyPrint
        return False
    if not isinstance(original, property) or original.fget is None:  # pragma: no cover
        return False

    def data(self):
        wait()
        return original.fget(self)

    lazy.data = property(data)
    return True


def libraries() -> dict[str, bool]:
    """What WeasyPrint found of the libraries a PDF's speed depends on: ``subsetter``, HarfBuzz's
    font subsetter (libharfbuzz-subset0, HarfBuzz ≥ 4.1; without it WeasyPrint embeds a CJK font
    through fontTools, about 10× slower). Asked where WeasyPrint is imported (the PDF process
    answers it with the PDF), so a build never imports WeasyPrint only to ask."""
    from weasyprint.text import ffi

    return {"subsetter": ffi.harfbuzz_subset is not None and bool(ffi.harfbuzz.hb_version_atleast(4, 1, 0))}


def _serve() -> int:  # pragma: no cover - runs in the PDF process (tests drive it through builds)
    """The PDF process: import WeasyPrint, wait for one request, answer it, exit."""
    import signal

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer

    def ended(_signum, _frame) -> None:
        """Ended by the build (a held document it will not use): WeasyPrint's font folder first."""
        drop_font_config()
        os._exit(1)

    signal.signal(signal.SIGTERM, ended)
    import weasyprint  # noqa: F401  (the point of starting early)

    font_config()
    try:
        request = _receive(stdin)
    except EOFError:
        return 0
    from cxreport.present.sandbox import PdfLimit

    import time

    steps = {}
    t = time.perf_counter()
    waited = False

    def wait_for_pictures() -> None:
        """A held document's pictures are being drawn: wait (once) until told to write them."""
        nonlocal waited
        if waited:
            return
        waited = True
        start = time.perf_counter()
        try:
            go = _receive(stdin)
        except EOFError:
            go = None
        if go != "write":           # the build ended it (its charts differ from their description)
            drop_font_config()
            os._exit(0)
        steps["PDF waiting for the charts"] = time.perf_counter() - start

    # A held document waits when WeasyPrint first reads a picture's bytes (writing the PDF,
    # after painting its pages and subsetting its fonts), or else before it writes the PDF.
    late = bool(request.get("hold")) and _wait_at_first_picture(wait_for_pictures)

    def laid_out() -> None:
        nonlocal t
        steps["PDF layout"] = time.perf_counter() - t
        t = time.perf_counter()
        if request.get("hold") and not late:
            wait_for_pictures()
            t = time.perf_counter()

    try:
        pdf = make_pdf(request["html"], [Path(p) for p in request["allowed"]], guarded=request["guarded"],
                       limits=tuple(request["limits"]), before_write=laid_out)
        steps["PDF writing"] = time.perf_counter() - t - steps.get("PDF waiting for the charts", 0.0) * late
        reply = ("pdf", pdf, steps, libraries())
    except (RenderError, PdfLimit) as exc:
        reply = ("error", type(exc).__name__, str(exc))
    except Exception as exc:  # noqa: BLE001 - any failure goes back as one line
        reply = ("error", type(exc).__name__, f"{type(exc).__name__}: {exc}")
    # WeasyPrint's font folder is removed before the reply: the build closes this process
    # once it has its answer.
    drop_font_config()
    try:
        _send(stdout, reply)
    except BrokenPipeError:
        os._exit(1)
    # The reply is flushed and nothing else is written: end without freeing the laid-out
    # document (0.1–0.2 s the build would wait for).
    os._exit(0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_serve())
