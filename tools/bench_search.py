"""Benchmark of the search index: `make bench-search` (or python -m tools.bench_search 10000 50000).

For each size it generates seeded exports, runs the pipeline up to the page records, then
builds the search shards in a fresh process and prints: build time, peak memory, total and
per-shard size (raw and gzip), and the bytes a first query fetches (the manifest plus the
shards the search page loads before showing results). Figures only; nothing is asserted.
"""
from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def measure(rulings: int, properties: int, workdir: Path) -> dict:
    from pipeline import build, search, settings
    from tools.make_sample_exports import generate

    exports = workdir / "exports"
    generate(exports, rulings=rulings, properties=properties, fmt="csv", encoding="utf-8")
    city = settings.load()
    publication = build.prepare(exports, city)
    start, cpu = time.perf_counter(), time.process_time()
    files, _ = search.build_search(publication.rulings, publication.properties, city.districts)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    manifest = json.loads(files["manifest.json"])
    shards = []
    for shard in manifest["shards"]:
        data = files[shard["index"]] + files[shard["docs"]]
        shards.append({"name": shard["name"], "count": shard["count"], "raw": len(data),
                       "gzip": gz(files[shard["index"]]) + gz(files[shard["docs"]])})
    # search.js, first step of a word query with no filter: newest ruling months and property
    # shards in turn until 20 results or 2 MB uncompressed; the worst case (few results) is
    # the whole step. A number query: one bucket of the number lookup, then its shard.
    rulings_first = [s for s in shards if s["name"].startswith("rulings")]
    properties_first = [s for s in shards if s["name"].startswith("properties")]
    queue = [s for pair in zip(rulings_first, properties_first) for s in pair]
    queue += rulings_first[len(properties_first):] + properties_first[len(rulings_first):]
    word_query, fetched = [], 0
    for shard in queue:
        if word_query and fetched + shard["raw"] > 2_000_000:
            break
        word_query.append(shard)
        fetched += shard["raw"]
    numbers = [gz(files[name]) for name in manifest["numbers"]]
    first_manifest = gz(files["manifest.json"])
    return {
        "rulings": len(publication.rulings), "properties": len(publication.properties),
        "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "total_raw": sum(s["raw"] for s in shards), "total_gzip": sum(s["gzip"] for s in shards),
        "first_word_query_gzip": first_manifest + sum(s["gzip"] for s in word_query),
        "first_word_query_shards": len(word_query),
        "first_number_query_gzip": first_manifest + max(numbers) + max(s["gzip"] for s in rulings_first),
        "shards": shards,
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
    print(f"{'rulings':>8} {'props':>6} {'build s':>8} {'cpu s':>6} {'peak MB':>8} {'total MB':>9} "
          f"{'gzip MB':>8} {'1st word query KB gz':>21} {'1st number query KB gz':>23}")
    for size in args.sizes:
        command = [sys.executable, "-m", "tools.bench_search", "--one", str(size)]
        if args.properties:
            command += ["--properties", str(args.properties)]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        print(f"{result['rulings']:>8} {result['properties']:>6} {result['wall_s']:>8} {result['cpu_s']:>6} "
              f"{result['peak_rss_mb']:>8} {result['total_raw'] / 1e6:>9.1f} {result['total_gzip'] / 1e6:>8.2f} "
              f"{result['first_word_query_gzip'] / 1e3:>21.0f} {result['first_number_query_gzip'] / 1e3:>23.0f}")
        sizes = sorted(s["gzip"] for s in result["shards"])
        print(f"         {len(sizes)} shards, gzip KB per shard: min {sizes[0] / 1e3:.0f}, "
              f"median {sizes[len(sizes) // 2] / 1e3:.0f}, max {sizes[-1] / 1e3:.0f}; "
              f"first word query loads {result['first_word_query_shards']} shards")
    print("(peak MB is the whole process: generating, reading and validating the exports included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
