"""``python -m pipeline --exports data/sample``: build content/, output/data/ and reports/."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import build, report, settings
from .errors import FileError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    parser.add_argument("--exports", type=Path, default=Path("data/sample"))
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--output", type=Path, default=Path("output"))
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--settings", type=Path, default=settings.ROOT / "pelicanconf.py")
    parser.add_argument("--cache", type=Path, default=Path("cache"),
                        help="where unchanged search shards are kept between builds")
    args = parser.parse_args(argv)
    city = settings.load(args.settings)
    try:
        publication = build.prepare(args.exports, city)
    except FileError as error:
        print(report.format_file_error(error), file=sys.stderr)
        return 2
    changed = build.write(publication, args.content, args.output, args.reports, city, args.cache)
    print(report.format_summary(publication.validated, args.reports))
    print("  written: " + ", ".join(f"{k} {v['written']}" for k, v in changed.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
