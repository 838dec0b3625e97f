"""``make upload``: send the published site to the web server, and only a site that publish
sealed, unchanged since.

    SHAFAF_UPLOAD_DEST=user@host:/srv/shafaf/ python -m pipeline.upload [--output output]

It takes the same lock as ``make publish`` (so it never sends a site in the middle of a swap;
exit 75 when one is running), finishes an interrupted publish first, then recomputes the
digest of every file of ``<output>/`` and compares it with the seal (``pipeline.seal``). A
preview, an emptied or half-built folder, or a file edited by hand is refused (exit 1) and
nothing is sent. Then ``rsync -rlc --delete``: checksums, not times, decide what is sent;
the seal itself stays here.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import lock, seal, transaction
from .publish import EXIT_GATE, EXIT_LOCKED


def upload(output: Path, destination: str, cache: Path | None = None, full: bool = False) -> int:
    problems = seal.check(output, cache, full)
    if problems:
        print(f"\nShafaf did not upload: {output}/ is not the site make publish checked and sealed; nothing "
              "was sent.", file=sys.stderr)
        for problem in problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        if len(problems) > 20:
            print(f"  … and {len(problems) - 20} more", file=sys.stderr)
        print("Run make publish (a preview is built by make html into its own folder and is never sent).\n",
              file=sys.stderr)
        return EXIT_GATE
    sent = subprocess.run(["rsync", "-rlc", "--delete", f"--exclude=/{seal.NAME}", f"{output}/", destination],
                          check=False)
    if sent.returncode:
        print(f"\nmake upload: rsync stopped with exit code {sent.returncode}\n", file=sys.stderr)
        return sent.returncode
    print(f"Uploaded {output}/ ({seal.read(output).published}) to {destination}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.upload", description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path("output"))
    parser.add_argument("--state", type=Path, default=Path(os.environ.get("SHAFAF_STATE", "state")))
    parser.add_argument("--wait", action="store_true", help="wait for a running publish instead of stopping")
    parser.add_argument("--cache", type=Path, default=Path("cache"))
    parser.add_argument("--full-check", action="store_true", default=os.environ.get("FULL_CHECK", "") not in ("", "0"),
                        help="hash every file, whatever the seal's record says (FULL_CHECK=1)")
    args = parser.parse_args(argv)
    destination = os.environ.get("SHAFAF_UPLOAD_DEST", "")
    if not destination:
        print("make upload: set SHAFAF_UPLOAD_DEST (e.g. user@host:/srv/shafaf/)", file=sys.stderr)
        return EXIT_GATE
    args.output, args.state = transaction.real_folder(args.output), transaction.real_folder(args.state)
    try:
        with lock.held(args.output, "make upload", wait=args.wait):
            for line in transaction.recover(args.output, args.state):
                print(line)
            return upload(args.output, destination, args.cache, args.full_check)
    except lock.Busy as busy:
        print(f"\nShafaf did not upload: a publish or upload is running ({busy.holder}; lock {busy.path}). "
              "Nothing was sent. Try again when it has ended, or add WAIT=1.\n", file=sys.stderr)
        return EXIT_LOCKED
    except (OSError, transaction.RecoveryError) as error:
        print(f"\nShafaf did not upload: {error}\nNothing was sent. See README, Recovering.\n", file=sys.stderr)
        return EXIT_GATE


if __name__ == "__main__":
    sys.exit(main())
