"""``make publish``: build the whole site into a fresh folder, check it, and only then put it in
place. Either the public site becomes the new build, or nothing about it changes.

    python -m pipeline.publish --exports DIR [--output output] [--state state] [--force]

1. The exports are read and validated (an unusable export stops here: nothing is written).
2. The share of rejected rows of every dataset must stay below ``--max-rejected`` (default 5 %,
   ``SHAFAF_MAX_REJECTED``); ``--force`` (``FORCE=1``) publishes anyway. The publication date
   must not be earlier than the last publication's.
3. The pipeline and Pelican (``publishconf.py``: absolute ``SITEURL``) build into
   ``<output>.new/``; dated snapshots of earlier publications are carried over from
   ``<output>/data/<date>/``.
4. Gates on the build: ``frictionless validate`` of ``data/datapackage.json``; no personal
   data in any file (see ``pipeline.gates``); every internal href/src resolves to a file.
5. Precompressed ``.gz`` copies of the text files (gzip mtime 0: reproducible).
6. The swap: ``<output>.new`` and ``<output>`` are exchanged in one ``renameat2`` call where
   the kernel and file system allow it (else two renames, a moment apart); the previous
   site is kept as ``<output>.prev/`` for recovery.
7. Only then the state folder (``--state``, default ``state/``) records this publication as
   the baseline of the next change log; its previous content is kept as ``<state>.prev/``.

On any failure the exit code is non-zero, the message names the gate, the file and the cause,
``<output>/`` is untouched and the refused build stays in ``<output>.new/`` for inspection
(it is never served; the next publish removes it). ``reports/report.html`` says what happened.
"""
from __future__ import annotations

import argparse
import ctypes
import errno
import gzip
import os
import runpy
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import build, gates, report, settings, staff_report
from .changes import ChangesError, commit_state, load_state
from .errors import FileError

ROOT = settings.ROOT
BIN = Path(sys.executable).parent
GZIP_SUFFIXES = {".html", ".css", ".js", ".json", ".csv", ".xml", ".txt", ".svg", ".geojson"}
DEFAULT_MAX_REJECTED = 0.05
SNAPSHOT_NAME = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
EXIT_EXPORTS, EXIT_GATE = 2, 1


@dataclass
class Options:
    exports: Path
    output: Path = Path("output")
    content: Path = Path("content")
    reports: Path = Path("reports")
    state: Path = Path("state")
    cache: Path | None = Path("cache")
    settings: Path = ROOT / "publishconf.py"
    date: str | None = None
    force: bool = False
    max_rejected: float = DEFAULT_MAX_REJECTED
    frictionless: str = str(BIN / "frictionless")
    pelican: str = str(BIN / "pelican")

    @property
    def new(self) -> Path:
        return self.output.with_name(self.output.name + ".new")

    @property
    def previous(self) -> Path:
        return self.output.with_name(self.output.name + ".prev")


@dataclass
class Run:
    gates: list[dict] = field(default_factory=list)
    publication: build.Publication | None = None

    def passed(self, name: str, detail: str) -> None:
        self.gates.append({"name": name, "passed": True, "detail": detail})


class Refused(Exception):
    def __init__(self, gate: str, findings: list[gates.Finding], exit_code: int = EXIT_GATE):
        self.gate, self.findings, self.exit_code = gate, findings, exit_code
        super().__init__(f"{gate}: {findings[0] if findings else ''}")


def publish(options: Options) -> Run:
    """Build, check and swap; raises ``Refused`` (with ``<output>/`` untouched) on any failure."""
    run = Run()
    city, siteurl = load_settings(options.settings)
    try:
        _publish(options, run, city, siteurl)
    except Refused as refused:
        run.gates.append({"name": refused.gate, "passed": False,
                          "detail": "; ".join(str(f) for f in refused.findings[:50])})
        if run.publication:
            staff_report.write(options.reports, run.publication, run.gates,
                               f"Not published: gate «{refused.gate}» failed; the site was not changed.")
        raise
    return run


def _publish(options: Options, run: Run, city: settings.Municipality, siteurl: str) -> None:
    if not siteurl.startswith(("https://", "http://")):
        raise Refused("settings", [gates.Finding(str(options.settings),
                      "no absolute site address: set SHAFAF_SITEURL (or MUNICIPALITY['site_url'])")])
    run.publication = publication = prepare(options, city)
    run.passed("exports-readable", f"{options.exports}: all exports read")
    check_rejected_share(options, run)
    check_date_order(options, run)
    build_into_fresh_folder(options, publication, city, siteurl)
    check_build(options, run, siteurl)
    written = precompress(options.new)
    run.passed("gzip", f"{written} .gz copies written")
    swap_into_place(options.new, options.output, options.previous)
    keep_previous_state(options.state)
    commit_state(options.state, publication.change_log, load_state(options.state)["published"])
    staff_report.write(options.reports, publication, run.gates,
                       f"Published {publication.change_log.published} to {options.output}; "
                       f"the previous site is in {options.previous}.")


# --- stages -------------------------------------------------------------------------------

def load_settings(path: Path) -> tuple[settings.Municipality, str]:
    namespace = runpy.run_path(str(path))
    return settings.municipality_from(namespace["MUNICIPALITY"]), str(namespace.get("SITEURL") or "").rstrip("/")


def prepare(options: Options, city: settings.Municipality) -> build.Publication:
    try:
        return build.prepare(options.exports, city, options.date, options.state, options.cache)
    except FileError as error:
        where = f"{error.file} [{error.sheet}]" if error.sheet else error.file
        raise Refused("exports-readable", [gates.Finding(where, f"{error.code}: {error.detail}")], EXIT_EXPORTS) from None
    except ChangesError as error:
        raise Refused("state", [gates.Finding(str(options.state), str(error))]) from None


def check_rejected_share(options: Options, run: Run) -> None:
    findings = gates.rejected_shares(run.publication.validated, options.max_rejected)
    if findings and not options.force:
        raise Refused("rejected-share", findings)
    run.passed("rejected-share", "forced past: " + "; ".join(map(str, findings)) if findings
               else f"every dataset below {options.max_rejected:.1%}")


def check_date_order(options: Options, run: Run) -> None:
    log = run.publication.change_log
    if log.last_published and log.published < log.last_published and not options.force:
        raise Refused("publication-date", [gates.Finding(
            str(options.state / "published.json"),
            f"publication date {log.published} is before the last publication ({log.last_published}); "
            "set SHAFAF_PUBLICATION_DATE")])
    run.passed("publication-date", f"{log.published} (last: {log.last_published or 'none'})")


def build_into_fresh_folder(options: Options, publication: build.Publication, city: settings.Municipality,
                            siteurl: str) -> None:
    new = options.new
    if new.exists():
        shutil.rmtree(new)
    new.mkdir(parents=True)
    carry_over_snapshots(options.output / "data", new / "data", publication.change_log.published)
    build.write(publication, options.content, new, options.reports, city, siteurl)
    env = {**os.environ, "PYTHONHASHSEED": "0", "SHAFAF_SITEURL": siteurl}
    pelican = subprocess.run([options.pelican, str(options.content), "-o", str(new), "-s", str(options.settings)],
                             cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    log = pelican.stdout + pelican.stderr
    if pelican.returncode != 0 or "ERROR" in log:
        lines = [line for line in log.splitlines() if "ERROR" in line or "Error" in line] or log.splitlines()[-5:]
        raise Refused("pelican", [gates.Finding(str(options.settings), line.strip()) for line in lines[:20]])


def carry_over_snapshots(live_data: Path, new_data: Path, published: str) -> int:
    """Earlier publications' dated folders stay published: hard links (or copies) of them.
    Hard links are safe: files are only ever replaced, never rewritten in place."""
    count = 0
    for folder in sorted(live_data.glob(SNAPSHOT_NAME)) if live_data.is_dir() else []:
        if folder.is_dir() and folder.name != published:
            shutil.copytree(folder, new_data / folder.name, copy_function=_link_or_copy)
            count += 1
    return count


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def check_build(options: Options, run: Run, siteurl: str) -> None:
    new = options.new
    package = new / "data" / "datapackage.json"
    findings = gates.frictionless(package, options.frictionless)
    if findings:
        raise Refused("frictionless", findings)
    run.passed("frictionless", f"{package.relative_to(new)} valid")
    private = gates.private_values(run.publication.validated)
    private.public_numbers |= gates.snapshot_numbers(new / "data")
    findings = gates.scan_personal_data(new, private)
    if findings:
        raise Refused("personal-data", [gates.Finding(f"{new.name}/{f.file}", f.cause) for f in findings])
    run.passed("personal-data", f"no national ID, mobile number or private value ({len(private)} known) in any file")
    findings, checked = gates.broken_links(new, siteurl)
    if findings:
        raise Refused("links", [gates.Finding(f"{new.name}/{f.file}", f.cause) for f in findings])
    run.passed("links", f"{checked} internal links resolve")


def precompress(root: Path) -> int:
    """``name.gz`` beside every text file, for static hosts (nginx ``gzip_static on``)."""
    written = 0
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in GZIP_SUFFIXES:
            target = path.with_name(path.name + ".gz")
            data = gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
            if not target.exists() or target.read_bytes() != data:
                if target.exists():
                    target.unlink()  # may be a hard link into the previous site
                target.write_bytes(data)
                written += 1
    return written


def keep_previous_state(state: Path) -> None:
    """``<state>.prev/`` matches ``<output>.prev/``: rolling back the site rolls back both."""
    previous = state.with_name(state.name + ".prev")
    if previous.exists():
        shutil.rmtree(previous)
    if state.is_dir():
        shutil.copytree(state, previous)


def swap_into_place(new: Path, live: Path, previous: Path) -> None:
    """``new`` becomes ``live``; the old ``live`` becomes ``previous``."""
    if previous.exists():
        shutil.rmtree(previous)
    if not live.exists():
        new.rename(live)
    elif exchange(new, live):
        new.rename(previous)   # after the exchange, ``new`` holds the old site
    else:
        live.rename(previous)
        new.rename(live)


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False when unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a))


# --- command line -------------------------------------------------------------------------

def refusal_message(refused: Refused, options: Options) -> str:
    lines = [f"\nShafaf did not publish: gate «{refused.gate}» failed. {options.output}/ was not changed."]
    for finding in refused.findings[:20]:
        lines += [f"  file: {finding.file}", f"  cause: {finding.cause}"]
    if len(refused.findings) > 20:
        lines.append(f"  … and {len(refused.findings) - 20} more")
    if options.new.exists():
        lines.append(f"The refused build is in {options.new}/ (never served; the next publish removes it).")
    lines.append(f"Report: {options.reports / 'report.html'}\n")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("--exports", type=Path, default=Path("data/sample"))
    parser.add_argument("--output", type=Path, default=Path("output"))
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--state", type=Path, default=Path(os.environ.get("SHAFAF_STATE", "state")))
    parser.add_argument("--cache", type=Path, default=Path("cache"))
    parser.add_argument("--settings", type=Path, default=ROOT / "publishconf.py")
    parser.add_argument("--date", default=os.environ.get("SHAFAF_PUBLICATION_DATE") or None,
                        help="publication date YYYY-MM-DD (default $SHAFAF_PUBLICATION_DATE, else the newest ruling's)")
    parser.add_argument("--max-rejected", type=float,
                        default=float(os.environ.get("SHAFAF_MAX_REJECTED", DEFAULT_MAX_REJECTED)),
                        help="largest share of rejected rows per dataset, 0.05 = 5%% (default $SHAFAF_MAX_REJECTED or 0.05)")
    parser.add_argument("--force", action="store_true", default=os.environ.get("FORCE", "") not in ("", "0"),
                        help="publish although the rejected share or the date gate fails (FORCE=1)")
    args = parser.parse_args(argv)
    try:
        date = settings.publication_date(args.date)
    except settings.SettingsError as error:
        print(f"\nShafaf did not publish: {error}\n", file=sys.stderr)
        return EXIT_GATE
    options = Options(args.exports, args.output, args.content, args.reports, args.state, args.cache,
                      args.settings, date, args.force, args.max_rejected)
    try:
        run = publish(options)
    except Refused as refused:
        print(refusal_message(refused, options), file=sys.stderr)
        return refused.exit_code
    print(report.format_summary(run.publication.validated, options.reports))
    for gate in run.gates:
        print(f"  {'ok' if gate['passed'] else 'FAILED'}  {gate['name']}: {gate['detail']}")
    print(f"\nPublished {run.publication.change_log.published} into {options.output}/ "
          f"(previous site: {options.previous}/). Report: {options.reports / 'report.html'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
