"""Benchmark (issue 17): the whole ``cxreport build --format pdf`` command against WeasyPrint
alone on the HTML that command hands to WeasyPrint.

For each sample project it first builds the report once (``--format html,pdf``), capturing the
HTML the build hands to the PDF engine (``cxreport.present.render.submit_pdf``: the PDF target of
the template, no script, no narrow chart variants, so not quite ``report.html``) and the folders
its URL fetcher allows. Then, alternating, N times:

(a) the whole command, ``cxreport build <project> -o <fresh folder> --format pdf --no-cache``, a
    subprocess (with ``--warm``: ``--cache-dir`` shared with the first build and ``--force``, an
    unchanged project built again);
(b) a subprocess that only imports WeasyPrint and makes the PDF from that HTML with the call
    ``cxreport.present.pdf.make_pdf`` makes (same base URL, a file/data-only URL fetcher,
    a FontConfiguration, ``pdf_tags=True``), without importing cxreport.

Each child's wall time, CPU time (user + sys of it and every process it started, from
``os.wait4``), peak RSS of its largest process and, for (a), the peak of the summed proportional
set sizes of its process tree (the build, its PDF process and its chart workers, sampled every
50 ms) are printed per run, then the medians and the ratios whole / WeasyPrint alone against the
targets (≤ 1.3× English, ≤ 1.4× Chinese), and the Huayue / Harbour Bank whole-command ratio
(≤ 1.3×). The PDF page counts of (a) and (b) must be equal (the engine did the same work).

    python benchmarks/bench_overhead.py                 # both samples, N = 5
    python benchmarks/bench_overhead.py --project samples/huayue-retail/cxreport.yaml -n 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _measure import TreeMemory, installed_bytecode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROJECTS = [ROOT / "samples" / "harbour-bank" / "cxreport.yaml",
                    ROOT / "samples" / "huayue-retail" / "cxreport.yaml"]
TARGETS = {"harbour-bank": 1.3, "huayue-retail": 1.4}   # overhead ratio targets of issue 17

# Runs the CLI exactly as the ``cxreport`` script does, but records the HTML and the allowed
# folders that render_report hands to the PDF engine (submit_pdf) (looked up as a module global at call time).
CAPTURE = r"""
import time
T0 = time.perf_counter()
import json, sys
from cxreport import build as build_module
from cxreport.present import render
dump = sys.argv[1]
record = {}
original = render.submit_pdf
def capture(html, allowed_dirs, **kwargs):
    with open(dump + ".html", "w", encoding="utf-8") as handle:
        handle.write(html)
    record["allowed_dirs"] = [str(d) for d in allowed_dirs]
    return original(html, allowed_dirs, **kwargs)
render.submit_pdf = capture
original_build = build_module.build
def timed_build(*args, **kwargs):
    record["before build"] = time.perf_counter() - T0
    t = time.perf_counter()
    result = original_build(*args, **kwargs)
    record["build()"] = time.perf_counter() - t
    record["timings"] = dict(result.timings)
    return result
build_module.build = timed_build
from cxreport.cli import main
import atexit
def dump_record():
    record["process (Python)"] = time.perf_counter() - T0
    with open(dump + ".json", "w", encoding="utf-8") as handle:
        json.dump(record, handle)
atexit.register(dump_record)     # main() ends the process itself, after the exit handlers
sys.argv = ["cxreport"] + sys.argv[2:]
main()
"""

# WeasyPrint alone: the call of cxreport.present.render.html_to_pdf, without cxreport.
WEASY_ALONE = r"""
import sys
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher
html_path, base_url, out = sys.argv[1], sys.argv[2], sys.argv[3]
with open(html_path, encoding="utf-8") as handle:
    html = handle.read()
fetcher = URLFetcher(allowed_protocols={"data", "file"}, allow_redirects=False, fail_on_errors=True, timeout=5)
document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
    pdf_tags=True, font_config=FontConfiguration())
pdf = document.write_pdf(pdf_tags=True)
with open(out, "wb") as handle:
    handle.write(pdf)
print(len(document.pages))
"""


#: The children's environment: cxreport as installed, its bytecode compiled (_measure.installed_bytecode).
CHILD_ENV: dict = dict(os.environ)


def cxreport_exe() -> str:
    exe = Path(sys.executable).parent / "cxreport"
    return str(exe) if exe.exists() else "cxreport"


def timed(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd``; its wall time, CPU time (user + sys, the child and its own children) and peak RSS."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**CHILD_ENV, **(env or {})})
    tree = TreeMemory(proc.pid).start()
    # wait4 gives this child's rusage alone (including its reaped children), not every child so far.
    chunks: dict[str, bytes] = {}

    def drain(name, stream):
        chunks[name] = stream.read()

    readers = [threading.Thread(target=drain, args=("out", proc.stdout)),
               threading.Thread(target=drain, args=("err", proc.stderr))]
    for r in readers:
        r.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    tree.stop()
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    out_b, err_b = chunks.get("out", b""), chunks.get("err", b"")
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err_b.decode(errors='replace')[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "tree_mb": tree.peak_mb,
            "stdout": out_b.decode(errors="replace")}


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def bench_project(project: Path, n: int, work: Path, warm: bool = False) -> dict:
    """Cold (default): every whole build runs with ``--no-cache``, as a first build would. Warm: the
    builds share one cache folder, filled by the preparation build (charts, sentiment and the scored
    study read from it: an unchanged project built again with ``--force``)."""
    cache_args = ["--cache-dir", str(work / "cache"), "--force"] if warm else ["--no-cache"]
    label = project.parent.name
    print(f"\n== {label}  ({project.relative_to(ROOT) if project.is_relative_to(ROOT) else project})", flush=True)
    prep = work / f"{label}-prep"
    dump = work / f"{label}-pdf-input"
    # The preparation build draws its charts before the PDF's HTML is made, so that the HTML
    # captured holds them (data: URLs), as WeasyPrint alone is given them; the timed builds
    # draw them while the PDF is laid out (charts.Draft), from files with the same pixels.
    first = timed([sys.executable, "-c", CAPTURE, str(dump), "build", str(project), "-o", str(prep),
                   "--format", "html,pdf", *cache_args], env={"CXREPORT_CHARTS_WITH_PDF": "0"})
    html_out = sorted(prep.glob("*.html"))
    pdf_prep = sorted(prep.glob("*.pdf"))
    print(f"prep build (html,pdf): {first['wall']:.2f} s wall; report HTML {html_out[0].name} "
          f"{html_out[0].stat().st_size / 1024:.0f} KB; HTML given to WeasyPrint "
          f"{(dump.with_suffix('.html')).stat().st_size / 1024:.0f} KB", flush=True)
    from cxreport.resources import templates_dir

    base_url = str(templates_dir()) + os.sep
    whole, alone = [], []
    print(f"{'run':>3}  {'whole wall':>10} {'cpu':>6} {'RSS MB':>7} {'tree PSS':>8} {'pages':>5}   "
          f"{'alone wall':>10} {'cpu':>6} {'RSS MB':>7} {'pages':>5}", flush=True)
    for i in range(n):
        out_a = work / f"{label}-whole-{i}"
        a = timed([cxreport_exe(), "build", str(project), "-o", str(out_a), "--format", "pdf", *cache_args])
        pdf_a = sorted(out_a.glob("*.pdf"))[0]
        a["pages"] = page_count(pdf_a)
        a["kb"] = pdf_a.stat().st_size / 1024
        out_b = work / f"{label}-alone-{i}.pdf"
        b = timed([sys.executable, "-c", WEASY_ALONE, str(dump.with_suffix(".html")), base_url, str(out_b)])
        b["pages"] = page_count(out_b)
        b["kb"] = out_b.stat().st_size / 1024
        whole.append(a)
        alone.append(b)
        print(f"{i + 1:>3}  {a['wall']:>8.2f} s {a['cpu']:>5.2f}s {a['rss_mb']:>7.0f} {a['tree_mb']:>8.0f} "
              f"{a['pages']:>5}   "
              f"{b['wall']:>8.2f} s {b['cpu']:>5.2f}s {b['rss_mb']:>7.0f} {b['pages']:>5}", flush=True)

    # One more whole build (pdf only) through the capture wrapper, for the build's own breakdown.
    brk = work / f"{label}-breakdown"
    timed([sys.executable, "-c", CAPTURE, str(brk), "build", str(project), "-o", str(work / f"{label}-brk"),
           "--format", "pdf", *cache_args])
    record = json.loads(brk.with_suffix(".json").read_text())
    steps = record.get("timings", {})
    pdf_s = steps.get("PDF", 0.0)
    print("breakdown of one more whole build (pdf only), seconds: "
          f"start-up and imports before build() {record.get('before build', 0):.2f}; "
          + "; ".join(f"{k} {v:.2f}" for k, v in steps.items() if v >= 0.05)
          + f"; build() {record.get('build()', 0):.2f}, of which not PDF {record.get('build()', 0) - pdf_s:.2f}; "
          f"whole Python process {record.get('process (Python)', 0):.2f}",
          flush=True)

    def med(runs, key):
        return statistics.median(r[key] for r in runs)

    res = {"label": label, "n": n, "breakdown": record}
    for name, runs in (("whole", whole), ("alone", alone)):
        for key in ("wall", "cpu", "rss_mb", "tree_mb"):
            res[f"{name}_{key}"] = med(runs, key)
        res[f"{name}_pages"] = sorted({r["pages"] for r in runs})
        res[f"{name}_kb"] = med(runs, "kb")
    res["prep_pages"] = page_count(pdf_prep[0])
    res["ratio_wall"] = res["whole_wall"] / res["alone_wall"]
    res["ratio_cpu"] = res["whole_cpu"] / res["alone_cpu"]
    target = TARGETS.get(label)
    same = res["whole_pages"] == res["alone_pages"]
    print(f"med  {res['whole_wall']:>8.2f} s {res['whole_cpu']:>5.2f}s {res['whole_rss_mb']:>7.0f} "
          f"{res['whole_tree_mb']:>8.0f} "
          f"{'/'.join(map(str, res['whole_pages'])):>5}   {res['alone_wall']:>8.2f} s {res['alone_cpu']:>5.2f}s "
          f"{res['alone_rss_mb']:>7.0f} {'/'.join(map(str, res['alone_pages'])):>5}")
    verdict = "" if target is None else (f"(target ≤ {target}×: "
                                         f"{'met' if res['ratio_wall'] <= target else 'NOT met'})")
    print(f"overhead ratio whole / WeasyPrint alone: wall {res['ratio_wall']:.2f}×, "
          f"CPU {res['ratio_cpu']:.2f}×  {verdict}")
    print(f"page counts: whole {res['whole_pages']}, alone {res['alone_pages']} "
          f"({'equal' if same else 'DIFFERENT'}); PDF {res['whole_kb']:.0f} KB vs {res['alone_kb']:.0f} KB")
    print(f"not PDF layout (whole − alone, medians): {res['whole_wall'] - res['alone_wall']:.2f} s wall, "
          f"{res['whole_cpu'] - res['alone_cpu']:.2f} s CPU", flush=True)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, action="append",
                        help="a cxreport.yaml (repeatable; default: Harbour Bank and Huayue samples)")
    parser.add_argument("-n", "--runs", type=int, default=5, help="alternated runs of each side (default 5)")
    parser.add_argument("--json", type=Path, help="also write the medians to this JSON file")
    parser.add_argument("--warm", action="store_true",
                        help="builds share a cache filled by the first build (default: --no-cache, a first build)")
    args = parser.parse_args()
    projects = [p.resolve() for p in (args.project or DEFAULT_PROJECTS)]
    CHILD_ENV.update(installed_bytecode())
    print(f"{'warm cache (--force, shared --cache-dir)' if args.warm else 'cold: --no-cache'}; "
          f"cores {os.cpu_count()}; load average at start {os.getloadavg()[0]:.2f} "
          f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; N = {args.runs}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="cx-overhead-") as tmp:
        for project in projects:
            results.append(bench_project(project, args.runs, Path(tmp), warm=args.warm))
    by = {r["label"]: r for r in results}
    if "harbour-bank" in by and "huayue-retail" in by:
        ratio = by["huayue-retail"]["whole_wall"] / by["harbour-bank"]["whole_wall"]
        cpu = by["huayue-retail"]["whole_cpu"] / by["harbour-bank"]["whole_cpu"]
        print(f"\nHuayue / Harbour Bank whole command: wall {ratio:.2f}×, CPU {cpu:.2f}×  "
              f"(target ≤ 1.3×: {'met' if ratio <= 1.3 else 'NOT met'})")
    print(f"load average at end {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
