"""Benchmark of the search index: `make bench-search` (or python -m tools.bench_search 10000 50000).

For each size it generates seeded exports, runs the pipeline up to the page records, builds
the search files in a fresh process and prints: build time, peak memory, total size (raw and
gzip), then, per kind of query, what a phone fetches in real headless Chromium with an empty
cache (search/*.json only: the page, fonts, lunr and the search script are not counted):
gzipped KB, requests, and ms from loading the page to the shown total. Figures only.
"""
from __future__ import annotations

import argparse
import collections
import functools
import gzip
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import jinja2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pipeline.urls import URLS  # noqa: E402  (needs the line above when run as a script)
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def page_html() -> str:
    """The search page's own markup around the app, as the theme renders it (no site chrome)."""
    template = (ROOT / "theme" / "templates" / "search.html").read_text("utf-8")
    body = template[template.index('<div id="search-app"'):template.index("<script")]
    body = jinja2.Environment(autoescape=True).from_string(body).render(SITEURL="", urls=URLS)
    scripts = "".join(f'<script src="/{p}"></script>' for p in
                      ("static/vendor/lunr.min.js", "static/js/normalise.js", "static/js/search.js"))
    return f'<!doctype html><html lang="fa" dir="rtl"><meta charset="utf-8"><body>{body}{scripts}</body></html>'


def queries(publication, files: dict[str, bytes]) -> list[tuple[str, str]]:
    """(kind, URL query string) of the queries citizens type, chosen from the generated data."""
    from pipeline import search
    rulings, properties = search.ordered(publication.rulings, publication.properties)
    manifest = json.loads(files["manifest.json"])
    middle = rulings[len(rulings) // 2]
    member = collections.Counter(r["council_rep"] for r in rulings).most_common()[-1][0]
    place = collections.Counter(r["neighbourhood"] for r in rulings if r.get("neighbourhood")).most_common()[-1][0]
    streets = collections.Counter(w for r in rulings for w in re.findall(r"(?:خیابان|بلوار) [^،]+", r.get("address") or ""))
    street = streets.most_common()[len(streets) // 2][0]
    documents = len(rulings) + len(properties)
    df = {}
    for name, data in files.items():
        if name.startswith("terms-"):
            for term, fields in json.loads(data)["terms"]:
                if not re.search(r"[0-9]", term) and len(term) >= 3:
                    df[term] = max((len(f) - 1) // 2 for f in fields)
    tenth = min(df, key=lambda t: (abs(df[t] - documents / 10), t))
    latest = manifest["years"][0][0]
    q = functools.partial(quote, safe="")
    return [
        ("ruling number", "q=" + q(middle["ruling_no"].translate(PERSIAN))),
        ("case number", "q=" + q(middle["case_no"])),
        ("property code", "q=" + q(properties[len(properties) // 2]["property_code"])),
        ("number that does not exist", "q=" + q("1402/3/99999")),
        ("member's name", "q=" + q(member)),
        ("member's surname", "q=" + q(member.split()[-1])),
        ("neighbourhood", "q=" + q(place)),
        ("street", "q=" + q(street)),
        (f"word in a tenth ({tenth}, {df[tenth]} docs)", "q=" + q(tenth)),
        ("browse: district + year", f"kind=ruling&district=5&year={latest}"),
        ("browse: violation type", "type=" + q(manifest["types"][4])),
        ("browse: district", "district=7"),
        ("browse: all rulings", "kind=ruling"),
        ("browse: the largest filter (first stage)", "stage=" + q(manifest["stages"][0])),
        ("word + filter", "q=" + q(place) + f"&year={latest}"),
    ]


def measure_queries(folder: Path, asked: list[tuple[str, str]]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    site = folder / "site"
    (site / "static").mkdir(parents=True)
    for part in ("js", "vendor"):
        shutil.copytree(ROOT / "theme" / "static" / part, site / "static" / part)
    (site / "search").mkdir(exist_ok=True)
    (site / "search" / "index.html").write_text(page_html(), "utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    sizes: dict[str, int] = {}
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        for kind, query in asked:
            context = browser.new_context(viewport={"width": 360, "height": 800})
            page = context.new_page()
            fetched: list[str] = []
            page.on("request", lambda request: fetched.append(request.url))
            start = time.perf_counter()
            page.goto(f"{base}/search/?{query}")
            page.wait_for_selector("#search-results[data-total]", state="attached", timeout=120_000)
            ms = (time.perf_counter() - start) * 1000
            names = [u.split("/search/")[-1] for u in fetched if u.endswith(".json")]
            for name in names:
                if name not in sizes:
                    sizes[name] = gz((site / "search" / name).read_bytes())
            results.append({"kind": kind, "total": int(page.get_attribute("#search-results", "data-total")),
                            "gzip": sum(sizes[n] for n in names), "requests": len(names), "ms": ms})
            context.close()
        browser.close()
    server.shutdown()
    return results


def measure(rulings: int, properties: int, workdir: Path) -> dict:
    from pipeline import build, pages, search, settings
    from tools.make_sample_exports import generate

    exports = workdir / "exports"
    generate(exports, rulings=rulings, properties=properties, fmt="csv", encoding="utf-8")
    city = settings.load()
    publication = build.prepare(exports, city)
    publication.search.result()
    start, cpu = time.perf_counter(), time.process_time()
    files, _ = search.build_search(publication.rulings, publication.properties, city.districts)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pages.write_files(workdir / "site" / "search", files)
    kinds = collections.Counter(name.split("-")[0].split(".")[0] for name in files)
    return {
        "rulings": len(publication.rulings), "properties": len(publication.properties),
        "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mb": round(peak),
        "total_raw": sum(len(d) for d in files.values()), "total_gzip": sum(gz(d) for d in files.values()),
        "files": dict(sorted(kinds.items())), "manifest_gzip": gz(files["manifest.json"]),
        "queries": measure_queries(workdir, queries(publication, files)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 50_000, 100_000])
    parser.add_argument("--properties", type=int, default=None, help="default: a fifth of the rulings")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            size = args.sizes[0]
            print(json.dumps(measure(size, args.properties or max(30, size // 5), Path(tmp))))
        return 0
    for size in args.sizes:
        command = [sys.executable, "-m", "tools.bench_search", "--one", str(size)]
        if args.properties:
            command += ["--properties", str(args.properties)]
        r = json.loads(subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout)
        print(f"{'rulings':>8} {'props':>6} {'build s':>8} {'cpu s':>6} {'peak MB':>8} {'total MB':>9} {'gzip MB':>8}")
        print(f"{r['rulings']:>8} {r['properties']:>6} {r['wall_s']:>8} {r['cpu_s']:>6} {r['peak_rss_mb']:>8} "
              f"{r['total_raw'] / 1e6:>9.1f} {r['total_gzip'] / 1e6:>8.2f}")
        print(f"  files: {', '.join(f'{k} {v}' for k, v in r['files'].items())}; "
              f"manifest {r['manifest_gzip'] / 1e3:.1f} KB gz")
        print(f"  {'query (empty cache)':<44} {'total':>7} {'KB gz':>7} {'requests':>9} {'ms':>7}")
        for q in r["queries"]:
            print(f"  {q['kind']:<44} {q['total']:>7} {q['gzip'] / 1e3:>7.1f} {q['requests']:>9} {q['ms']:>7.0f}")
    print("(peak MB is the whole process: generating, reading and validating the exports included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
