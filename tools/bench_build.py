"""Benchmark of the whole build: `make bench` (or python -m tools.bench_build 10000 50000 100000).

For each size, in a fresh temporary work folder:

1. generate seeded exports with tools/make_sample_exports.py (xlsx, as staff drop them; a fifth
   as many properties as rulings; about 1.6 violations per ruling);
2. cold build, the two steps of `make html`, each in its own process: the pipeline
   (``python -m pipeline``, run through a small driver that times its parts) and Pelican;
3. change 1 % of the rulings (their «شرح رأی» cell, edited with openpyxl and saved);
4. rebuild in the same folder (same content/, output/, cache/);
5. publish (``python -m pipeline.publish``, gates included) three times into a folder of its
   own (its own content/, cache/, state/, published site): cold, after another 1 % of the
   rulings changed, and with nothing changed; a week apart, as staff publish.

Per stage it prints wall time, CPU time (user + sys) and peak resident memory, all three taken
from the kernel's rusage of that one child process (``os.wait4``, the figures GNU time -v
prints); then the output's size and file count and, for the rebuild, how many files under
content/ and output/ were rewritten (mtime or size changed) and how many changed bytes.

The pipeline's and Pelican's parts (indented rows) are timed inside their process with
time.perf_counter / time.process_time around the real functions `python -m pipeline` and
`pelican` call (see PIPELINE_PARTS; Pelican's split is at its own signals); their memory
column is the process's high-water mark when that part ended, not the part's own peak.
A publish's indented rows are its stages as ``pipeline/progress.py`` reports them (the build's,
then Pelican and every gate), timed the same way. Figures only; nothing is asserted. ``--profile DIR`` runs every stage under cProfile instead
(slower; the times then include the profiler's overhead) and prints the top functions.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANGED_MARK = " (متن اصلاح‌شده برای سنجش)"

# (module, attribute, part): the functions `python -m pipeline` calls, in build.prepare and
# build.write. A call made while another timed call runs is counted in the outer one only.
PIPELINE_PARTS = [
    ("pipeline.build", "read_exports", "read"),
    ("pipeline.build", "validate", "validate"),
    ("pipeline.privacy", "withhold", "privacy"),
    ("pipeline.pages", "ruling_records", "records"),
    ("pipeline.pages", "property_records", "records"),
    ("pipeline.pages", "records", "records"),
    ("pipeline.datasets", "dataset_files", "datasets"),
    ("pipeline.changes", "change_log", "changes"),
    ("pipeline.changes", "data_files", "changes"),
    ("pipeline.downloads", "download_files", "downloads"),
    ("pipeline.pages", "write_content", "pages (md)"),
    ("pipeline.datasets", "write_datasets", "write data"),
    ("pipeline.search", "build_search", "search index"),   # only when not forked
    # The search index and the xlsx workbooks are made in second processes (pipeline/parallel.py) while the parts
    # above run; this is how long the first process then still waits for them. Their CPU time is
    # in the stage's row (rusage includes waited-for children), not in this one.
    ("pipeline.parallel.Forked", "result", "wait for 2nd processes"),
    ("pipeline.pages", "write_files", "write search"),
    ("pipeline.pages", "write_if_changed", "write search"),
    ("pipeline.report", "write_report", "report"),
    ("pipeline.staff_report", "write", "report"),
]


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- stages, each run in its own process ------------------------------------------------

def stage_generate(work: Path, rulings: int, properties: int) -> None:
    from tools.make_sample_exports import generate
    generate(work / "exports", rulings=rulings, properties=properties, fmt="xlsx")


def stage_change(work: Path, fraction: float, seed: int = 7) -> None:
    """Append a phrase to the «شرح رأی» cell of ``fraction`` of the rulings rows."""
    import openpyxl
    from pipeline.schema import RULINGS
    from pipeline.values import match_key

    path = work / "exports" / "rulings.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = next(s for s in book.worksheets if match_key(s.title) == match_key(RULINGS.sheet))
    field = next(f for f in RULINGS.fields if f.name == "ruling_text")
    wanted = {match_key(h) for h in field.headers}
    header = [c.value for c in sheet[1]]
    column = next(i for i, h in enumerate(header, start=1) if h is not None and match_key(str(h)) in wanted)
    rows = list(range(2, sheet.max_row + 1))
    chosen = sorted(random.Random(seed).sample(rows, max(1, round(len(rows) * fraction))))
    for row in chosen:
        cell = sheet.cell(row=row, column=column)
        cell.value = f"{cell.value or ''}{CHANGED_MARK}"
    book.save(path)
    print(json.dumps({"rows": len(rows), "changed": len(chosen)}))


def stage_pipeline(work: Path, parts_file: Path) -> int:
    """`python -m pipeline` with timers around the functions in PIPELINE_PARTS."""
    import importlib

    timed: dict[str, list[float]] = {}
    depth = [0]
    missing = []

    def wrap(function, part):
        def timer(*args, **kwargs):
            if depth[0]:
                return function(*args, **kwargs)
            depth[0] += 1
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                entry = timed.setdefault(part, [0.0, 0.0, 0.0])
                entry[0] += time.perf_counter() - start
                entry[1] += time.process_time() - cpu
                entry[2] = _maxrss_mb()
        return timer

    for module_name, attribute, part in PIPELINE_PARTS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:  # a class: module.Class
            parent, _, name = module_name.rpartition(".")
            module = getattr(importlib.import_module(parent), name)
        if not hasattr(module, attribute):
            missing.append(f"{module_name}.{attribute}")
            continue
        setattr(module, attribute, wrap(getattr(module, attribute), part))
    from pipeline.__main__ import main

    start, cpu = time.perf_counter(), time.process_time()
    code = main(["--exports", str(work / "exports"), "--content", str(work / "content"),
                 "--output", str(work / "output"), "--reports", str(work / "reports"),
                 "--cache", str(work / "cache")])
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    other = [wall - sum(v[0] for v in timed.values()), cpu - sum(v[1] for v in timed.values()), _maxrss_mb()]
    parts = {**timed, "other": other}
    parts_file.write_text(json.dumps({"parts": parts, "missing": missing}))
    return code


def stage_pelican(work: Path, parts_file: Path, extra: list[str]) -> int:
    """`pelican content -o output -s pelicanconf.py`, split at Pelican's own signals:
    reading and context (every generator's generate_context) and writing (generate_output)."""
    from pelican import main, signals

    marks = {"start": (time.perf_counter(), time.process_time())}

    def finalized_context(_generators):
        marks["context"] = (time.perf_counter(), time.process_time(), _maxrss_mb())

    def finished(_pelican):
        marks["written"] = (time.perf_counter(), time.process_time(), _maxrss_mb())

    signals.all_generators_finalized.connect(finalized_context, weak=False)
    signals.finalized.connect(finished, weak=False)
    # Pelican's reader cache (used only if LOAD_CONTENT_CACHE / CACHE_CONTENT are set) goes in the
    # work folder. Pelican keeps only its last -e, so every KEY=VALUE follows one -e.
    overrides = [f"CACHE_PATH={json.dumps(str(work / 'pelican-cache'))}", *(a for a in extra if a != "-e")]
    argv = [str(work / "content"), "-o", str(work / "output"), "-s", str(ROOT / "pelicanconf.py"),
            "-e", *overrides]
    try:
        main(argv)
        code = 0
    except SystemExit as exit_:
        code = exit_.code or 0
    end = (time.perf_counter(), time.process_time())
    parts = {}
    if "context" in marks:
        s, c = marks["start"]
        parts["read + context"] = [marks["context"][0] - s, marks["context"][1] - c, marks["context"][2]]
        if "written" in marks:
            parts["write html"] = [marks["written"][0] - marks["context"][0],
                                   marks["written"][1] - marks["context"][1], marks["written"][2]]
            parts["other"] = [end[0] - s - sum(p[0] for p in parts.values()),
                              end[1] - c - sum(p[1] for p in parts.values()), _maxrss_mb()]
    parts_file.write_text(json.dumps({"parts": parts, "missing": []}))
    return code


PUBLISH_DATES = ("2026-11-16", "2026-11-23", "2026-11-30")


def stage_publish(work: Path, parts_file: Path, date: str) -> int:
    """`python -m pipeline.publish`, each of its progress stages timed (wall, CPU, memory)."""
    from pipeline import progress, publish

    parts: dict[str, list[float]] = {}
    begin, end = progress.Stages.begin, progress.Stages.end

    def timed_begin(self, name):
        begin(self, name)
        self._cpu_start = time.process_time()

    def timed_end(self):
        if self.current is not None:
            parts[self.current] = [time.perf_counter() - self.started, time.process_time() - self._cpu_start,
                                   _maxrss_mb()]
        end(self)

    progress.Stages.begin, progress.Stages.end = timed_begin, timed_end
    os.environ.update({"SHAFAF_PROGRESS": "plain", "SHAFAF_SITEURL": "https://bench.example.org"})
    published = work / "publish"
    if not (published / "content" / "pages").is_dir() and (ROOT / "content" / "pages").is_dir():
        shutil.copytree(ROOT / "content" / "pages", published / "content" / "pages")
    code = publish.main(["--exports", str(work / "exports"), "--output", str(published / "output"),
                         "--content", str(published / "content"), "--reports", str(published / "reports"),
                         "--state", str(published / "state"), "--cache", str(published / "cache"),
                         "--date", date, "--force"])  # the planted bad rows pass 5 % at a small size
    parts_file.write_text(json.dumps({"parts": parts, "missing": []}))
    return code


# --- the parent: runs the stages and measures them -------------------------------------

def run(name: str, args: list[str], work: Path, profile: Path | None, label: str) -> dict:
    """Run ``python -m tools.bench_build --stage ...`` in a child; its rusage via wait4."""
    log = work / f"{label}-{name}.log"
    command = [sys.executable]
    if profile:
        command += ["-m", "cProfile", "-o", str(profile / f"{label}-{name}.prof")]
    command += ["-m", "tools.bench_build", "--stage", name, "--work", str(work), *args]
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    with open(log, "w") as out:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if child.returncode != 0:
        sys.stderr.write(log.read_text()[-4000:])
        raise SystemExit(f"stage {name} failed ({child.returncode}); log: {log}")
    result = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
              "log": log.read_text()}
    parts_file = work / f"{name}-parts.json"
    if parts_file.exists():
        result.update(json.loads(parts_file.read_text()))
        parts_file.unlink()
    # progress on stderr, so that a long run shows what finished
    parts = ", ".join(f"{p} {v[0]:.1f}/{v[1]:.1f}" for p, v in result.get("parts", {}).items())
    print(f"[{time.strftime('%H:%M:%S')}] {label} {name}: wall {wall:.1f} s, CPU {result['cpu']:.1f} s, "
          f"peak {result['peak_mb']:.0f} MB" + (f" (wall/CPU s: {parts})" if parts else ""),
          file=sys.stderr, flush=True)
    return result


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (mtime_ns, size) of every file under ``folder``."""
    found = {}
    for directory, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            st = os.stat(path)
            found[os.path.relpath(path, folder)] = (st.st_mtime_ns, st.st_size)
    return found


def digests(folder: Path) -> dict[str, bytes]:
    found = {}
    for directory, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, folder)] = hashlib.blake2b(f.read(), digest_size=16).digest()
    return found


def search_manifest_gz(search: Path) -> int | None:
    """Gzipped bytes of the search manifest, which every first query fetches before the files
    of its own terms (what each kind of query fetches in all: ``make bench-search``, which
    drives Chromium)."""
    manifest_path = search / "manifest.json"
    if not manifest_path.exists():
        return None
    return len(gzip.compress(manifest_path.read_bytes(), compresslevel=6, mtime=0))


def build(work: Path, label: str, profile: Path | None, pelican_extra: list[str]) -> dict:
    stages = {"pipeline": run("pipeline", [], work, profile, label)}
    stages["pelican"] = run("pelican", ["--pelican-extra", json.dumps(pelican_extra)], work, profile, label)
    stages["total"] = {"wall": sum(s["wall"] for s in stages.values()),
                       "cpu": sum(s["cpu"] for s in stages.values()),
                       "peak_mb": max(s["peak_mb"] for s in stages.values())}
    return stages


def measure(rulings: int, properties: int, work: Path, fraction: float, profile: Path | None,
            pelican_extra: list[str]) -> dict:
    result = {"rulings": rulings, "properties": properties}
    result["generate"] = run("generate", ["--rulings", str(rulings), "--properties", str(properties)],
                             work, None, "gen")
    result["exports_bytes"] = sum(p.stat().st_size for p in (work / "exports").iterdir())
    # Static pages staff write live in content/pages; `make html` builds them too.
    if (ROOT / "content" / "pages").is_dir():
        shutil.copytree(ROOT / "content" / "pages", work / "content" / "pages")
    result["cold"] = build(work, "cold", profile, pelican_extra)
    output = tree(work / "output")
    result["cold"]["output"] = {"files": len(output), "bytes": sum(s for _, s in output.values())}
    result["cold"]["search_manifest_gz"] = search_manifest_gz(work / "output" / "search")
    articles = [line for line in result["cold"]["pelican"]["log"].splitlines() if "Done:" in line]
    result["cold"]["pelican_done"] = articles[-1].strip() if articles else ""

    change = run("change", ["--fraction", str(fraction)], work, None, "chg")
    result["change"] = {**json.loads(change["log"].strip().splitlines()[-1]), "wall": change["wall"]}
    before = {"content": tree(work / "content"), "output": output}
    hashes = {"content": digests(work / "content"), "output": digests(work / "output")}
    time.sleep(0.01)  # mtimes are ns, but never compare within one clock tick
    result["rebuild"] = build(work, "rebuild", profile, pelican_extra)
    for folder in ("content", "output"):
        after = tree(work / folder)
        after_hashes = digests(work / folder)
        rewritten = sum(1 for k, v in after.items() if before[folder].get(k) != v)
        changed = sum(1 for k, v in after_hashes.items() if hashes[folder].get(k) != v)
        removed = len(set(before[folder]) - set(after))
        result["rebuild"][folder] = {"files": len(after), "bytes": sum(s for _, s in after.values()),
                                     "rewritten": rewritten, "changed": changed, "removed": removed}
    result["rebuild"]["search_manifest_gz"] = search_manifest_gz(work / "output" / "search")
    result["publish"] = {}
    for (kind, changes), date in zip((("cold", False), ("changed", True), ("unchanged", False)), PUBLISH_DATES):
        if changes:
            run("change", ["--fraction", str(fraction), "--seed", "8"], work, None, "chg2")
        result["publish"][kind] = {"publish": run("publish", ["--date", date], work, profile, f"publish-{kind}")}
    return result


# --- printing ---------------------------------------------------------------------------

def _cell(stage: dict | None) -> str:
    if not stage:
        return f"{'':>8} {'':>8} {'':>8}"
    return f"{stage['wall']:>8.1f} {stage['cpu']:>8.1f} {stage['peak_mb']:>8.0f}"


def _rows(run_result: dict) -> list[tuple[tuple[str, str], dict]]:
    """((stage, part), figures) in print order; part "" is the stage's own row."""
    rows = []
    for name in ("pipeline", "pelican"):
        stage = run_result[name]
        rows.append(((name, ""), stage))
        for part, (wall, cpu, hwm) in stage.get("parts", {}).items():
            rows.append(((name, part), {"wall": wall, "cpu": cpu, "peak_mb": hwm}))
    rows.append((("total (pipeline + pelican)", ""), run_result["total"]))
    return rows


def print_table(results: list[dict]) -> None:
    width = 28
    sizes = "".join(f" | {r['rulings']:>7,} rulings {r['properties']:>6,} props" for r in results)
    head = "".join(f" | {'wall s':>8} {'CPU s':>8} {'peak MB':>8}" for _ in results)
    line = "-" * (width + len(head))
    for kind, title in (("cold", "COLD BUILD"), ("rebuild", "REBUILD after 1 % of rulings changed")):
        print(f"\n{title}")
        print(f"{'stage':<{width}}{sizes}")
        print(f"{'':<{width}}{head}")
        print(line)
        names = [name for name, _ in _rows(results[0][kind])]
        for r in results[1:]:
            names += [n for n, _ in _rows(r[kind]) if n not in names]
        for name in names:
            cells = "".join(f" | {_cell(dict(_rows(r[kind])).get(name))}" for r in results)
            print(f"{name[0] if not name[1] else '  ' + name[1]:<{width}}{cells}")
        print(line)
        if kind == "cold":
            extra = [("output files", lambda r: f"{r['cold']['output']['files']:,}"),
                     ("output MB", lambda r: f"{r['cold']['output']['bytes'] / 1e6:,.1f}"),
                     ("search manifest KB gz", lambda r: f"{(r['cold']['search_manifest_gz'] or 0) / 1e3:,.1f}")]
        else:
            extra = [("rulings rows changed", lambda r: f"{r['change']['changed']:,} of {r['change']['rows']:,}"),
                     ("content/ files rewritten", lambda r: f"{r['rebuild']['content']['rewritten']:,} of {r['rebuild']['content']['files']:,}"),
                     ("content/ files changed", lambda r: f"{r['rebuild']['content']['changed']:,}"),
                     ("output/ files rewritten", lambda r: f"{r['rebuild']['output']['rewritten']:,} of {r['rebuild']['output']['files']:,}"),
                     ("output/ files changed", lambda r: f"{r['rebuild']['output']['changed']:,}"),
                     ("output/ files removed", lambda r: f"{r['rebuild']['output']['removed']:,}")]
        for name, value in extra:
            print(f"{name:<{width}}" + "".join(f" | {value(r):>26}" for r in results))
    print_publish(results, width)
    print("\nnot part of the build:")
    print(f"{'generate exports (xlsx)':<{width}}" + "".join(f" | {_cell(r['generate'])}" for r in results))
    print(f"{'exports MB':<{width}}" + "".join(f" | {r['exports_bytes'] / 1e6:>26.1f}" for r in results))
    print(f"{'change 1 % (openpyxl)':<{width}}" + "".join(f" | {r['change']['wall']:>26.1f}" for r in results))
    print("\nwall, CPU (user+sys) and peak RSS of each stage: rusage of its own process (wait4).")
    print("Indented rows: timed inside that process around the named part; their memory column is")
    print("the process's high-water mark when the part ended. 'other': settings, plugins, summary")
    print("(the imports before the timers start are only in the stage's own row).")
    print("A publish's pelican and frictionless rows run in child processes: their CPU is in the")
    print("whole-process row (rusage counts waited-for children), not in their own.")
    missing = {m for r in results for k in ("cold", "rebuild") for s in ("pipeline", "pelican")
               for m in r[k][s].get("missing", [])}
    if missing:
        print("not found (not timed separately, counted in 'other'): " + ", ".join(sorted(missing)))


def print_publish(results: list[dict], width: int) -> None:
    sizes = "".join(f" | {r['rulings']:>7,} rulings {r['properties']:>6,} props" for r in results)
    head = "".join(f" | {'wall s':>8} {'CPU s':>8} {'peak MB':>8}" for _ in results)
    line = "-" * (width + len(head))
    for kind, title in (("cold", "PUBLISH, cold (no state, no published site)"),
                        ("changed", "PUBLISH after another 1 % of rulings changed"),
                        ("unchanged", "PUBLISH with nothing changed")):
        print(f"\n{title}")
        print(f"{'stage':<{width}}{sizes}")
        print(f"{'':<{width}}{head}")
        print(line)
        stages = [r["publish"][kind]["publish"] for r in results]
        print(f"{'publish (whole process)':<{width}}" + "".join(f" | {_cell(s)}" for s in stages))
        names = list(dict.fromkeys(n for s in stages for n in s.get("parts", {})))
        for name in names:
            cells = "".join(f" | {_cell(_part(s, name))}" for s in stages)
            print(f"{'  ' + name:<{width}}{cells}")
        print(line)


def _part(stage: dict, name: str) -> dict | None:
    found = stage.get("parts", {}).get(name)
    return {"wall": found[0], "cpu": found[1], "peak_mb": found[2]} if found else None


def print_profiles(profile: Path, top: int) -> None:
    import pstats
    for path in sorted(profile.glob("*.prof")):
        print(f"\n=== {path.name}: top {top} by own time (tottime), then by cumulative time")
        stats = pstats.Stats(str(path))
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 50_000, 100_000])
    parser.add_argument("--properties", type=int, default=None, help="default: a fifth of the rulings")
    parser.add_argument("--fraction", type=float, default=0.01, help="share of rulings changed (0.01)")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    parser.add_argument("--profile", type=Path, default=None, help="run each stage under cProfile; .prof files here")
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--pelican-setting", action="append", default=[], metavar="KEY=VALUE",
                        help="passed to Pelican as -e KEY=VALUE (repeatable), e.g. LOAD_CONTENT_CACHE=true")
    # internal: one stage in this process
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rulings", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--pelican-extra", default="[]", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=7, help=argparse.SUPPRESS)
    parser.add_argument("--date", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # The stages run with the code folder as their working folder: a folder given relative to
    # the caller's would be another folder there, and its figures silently lost.
    for name in ("work", "keep", "profile", "json"):
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).resolve())
    if args.stage:
        parts = args.work / f"{args.stage}-parts.json"
        if args.stage == "generate":
            stage_generate(args.work, args.rulings, args.properties)
        elif args.stage == "change":
            stage_change(args.work, args.fraction, args.seed)
        elif args.stage == "pipeline":
            return stage_pipeline(args.work, parts)
        elif args.stage == "publish":
            return stage_publish(args.work, parts, args.date)
        elif args.stage == "pelican":
            return stage_pelican(args.work, parts, json.loads(args.pelican_extra))
        return 0
    pelican_extra = [a for setting in args.pelican_setting for a in ("-e", setting)]

    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    results = []
    for size in args.sizes:
        properties = args.properties or max(30, size // 5)
        if args.keep:
            work = args.keep / str(size)
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
        else:
            work = Path(tempfile.mkdtemp(prefix=f"shafaf-bench-{size}-"))
        try:
            profile = args.profile / str(size) if args.profile else None
            if profile:
                profile.mkdir(parents=True, exist_ok=True)
            print(f"[{time.strftime('%H:%M:%S')}] {size:,} rulings, {properties:,} properties in {work}",
                  file=sys.stderr, flush=True)
            results.append(measure(size, properties, work, args.fraction, profile, pelican_extra))
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str))
    for r in results:
        for kind in ("cold", "rebuild"):
            for stage in ("pipeline", "pelican"):
                r[kind][stage].pop("log", None)
        r["generate"].pop("log", None)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print_table(results)
    sys.stdout.flush()
    if args.profile:
        for size in args.sizes:
            print_profiles(args.profile / str(size), args.profile_top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
