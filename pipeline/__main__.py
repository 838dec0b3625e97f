"""``python -m pipeline --exports data/sample``: build content/, preview/data/ and reports/ (a preview:
only ``pipeline.publish`` writes the published site)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import build, progress, report, settings
from .changes import ChangesError
from .errors import FileError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    parser.add_argument("--exports", type=Path, default=Path("data/sample"))
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--output", type=Path, default=Path("preview"))
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--settings", type=Path, default=settings.ROOT / "pelicanconf.py")
    parser.add_argument("--cache", type=Path, default=Path("cache"),
                        help="where parsed rows, unchanged search shards and workbooks are kept between builds")
    parser.add_argument("--state", type=Path, default=None,
                        help="the last publication's fingerprints, to list what changed (read only)")
    parser.add_argument("--date", default=os.environ.get("SHAFAF_PUBLICATION_DATE") or None,
                        help="publication date, YYYY-MM-DD (default: $SHAFAF_PUBLICATION_DATE, "
                             "else the newest ruling's date)")
    args = parser.parse_args(argv)
    try:
        stages = progress.Stages("build")
        city = settings.load(args.settings)
        with stages:
            publication = build.prepare(args.exports, city, settings.publication_date(args.date), args.state,
                                        args.cache, stages)
    except FileError as error:
        print(report.format_file_error(error), file=sys.stderr)
        return 2
    except (ChangesError, settings.SettingsError, progress.ProgressError) as error:
        print(f"\nShafaf stopped: {error}\n", file=sys.stderr)
        return 2
    except OSError as error:  # a full disk, a read-only cache/: no traceback, the cause named
        print(f"\nShafaf stopped: {error}\n", file=sys.stderr)
        return 1
    try:
        with stages:
            changed = build.write(publication, args.content, args.output, args.reports, city, stages=stages)
    except OSError as error:
        print(f"\nShafaf stopped: {error}\n", file=sys.stderr)
        return 1
    print(report.format_summary(publication.validated, args.reports))
    print("  written: " + ", ".join(f"{k} {v['written']}" for k, v in changed.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
