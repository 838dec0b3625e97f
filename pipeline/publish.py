"""``make publish``: build the site into a folder of its own, check it, and only then put it in
place. Either the public site becomes the new build, or nothing about it changes.

    python -m pipeline.publish --exports DIR [--output output] [--state state] [--force] [--first] [--full-check]
    python -m pipeline.publish --recover [--output output] [--state state]

0. One publish (or upload) at a time: an exclusive lock on ``<output>.lock`` (``pipeline.lock``);
   a second run stops at once with exit code 75, or waits with ``--wait``. Every folder the
   publish changes must be writable (checked before anything is removed). An interrupted
   earlier publish is finished first (``pipeline.transaction``), and said so.
1. The exports are read and validated (an unusable export stops here: nothing is written).
   A site already published with no state beside it (a mistyped ``--state``) is refused
   unless ``--first``; a state that is not the one the live site was published with, unless
   ``--force``.
2. The share of rejected rows of every dataset must stay below ``--max-rejected`` (default 5 %,
   ``SHAFAF_MAX_REJECTED``); a dataset must not shrink by more than ``--max-shrink`` (default
   10 %, ``SHAFAF_MAX_SHRINK``) nor come empty after a publication that was not; ``--force``
   (``FORCE=1``) publishes anyway. The publication date must not be earlier than the last
   publication's.
3. The pipeline and Pelican (``publishconf.py``: absolute ``SITEURL``) build into
   ``<output>.new/``, which starts as hard links of the live site (``pipeline.incremental``;
   an empty folder with ``--full-check`` or when the live site cannot be trusted to be the
   one its state describes); what the build no longer makes is removed. Dated snapshots of
   earlier publications are carried over from the state's own archive,
   ``<state>/archive/<date>/``, never from whatever ``<output>/`` holds.
4. Gates on the build: no personal data in any file (see ``pipeline.gates``) and, in a
   process beside it, ``frictionless validate`` of ``data/datapackage.json``; every internal
   href/src resolves to a file.
   A file still the live one is checked only for what is new since it was published.
5. Precompressed ``.gz`` copies of the text files (gzip mtime 0: reproducible); an
   unchanged file keeps its ``.gz``, a file whose bytes are another's is compressed once.
6. The new state (baseline, change log, this publication's snapshot in the archive) is staged
   in ``<state>.new/``, the site is sealed (``pipeline.seal``: the digest ``make upload``
   checks; a file untouched since the live seal keeps its digest), and one journaled
   transaction puts site and state in place, keeping the ones they replace as
   ``<output>.prev/`` and ``<state>.prev/`` (and the site before those as ``<output>.spare/``,
   which the next build folder is made from); then each file's signature is recorded for the
   next seal and upload (``<cache>/publish/``).

On any failure the exit code is non-zero, the message names the gate, the file and the cause,
``<output>/`` is untouched and the refused build stays in ``<output>.new/`` for inspection
(it is never served; the next publish removes it). ``reports/report.html`` says what happened.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from . import build, files, gates, incremental, link_index, lock, parallel, progress, report, seal, settings, staff_report, transaction
from .changes import FORMAT as STATE_FORMAT, TRACKED, ChangesError, commit_state, load_state
from .compress import compress, is_text, keeps_gz
from .errors import FileError
from .faults import point
from .files import write_if_changed
from .link_index import LinkIndex
from .urls import URLS

ROOT = settings.ROOT
BIN = Path(sys.executable).parent
DEFAULT_MAX_REJECTED = 0.05
DEFAULT_MAX_SHRINK = 0.10
SNAPSHOT_NAME = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
ARCHIVE = "archive"   # <state>/archive/<date>/: every publication's dated datasets
EXIT_EXPORTS, EXIT_GATE = 2, 1
EXIT_LOCKED = 75      # sysexits' EX_TEMPFAIL: another publish or upload is running; try later


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
    max_shrink: float = DEFAULT_MAX_SHRINK
    first: bool = False
    full_check: bool = False   # a fresh folder and every gate over every file (FULL_CHECK=1)
    frictionless: str = str(BIN / "frictionless")
    pelican: str = str(BIN / "pelican")

    @property
    def new(self) -> Path:
        return transaction.Slot(self.output).new

    @property
    def previous(self) -> Path:
        return transaction.Slot(self.output).prev


@dataclass
class Run:
    gates: list[dict] = field(default_factory=list)
    publication: build.Publication | None = None
    last: dict | None = None   # the fingerprints of the last publication (state/published.json)
    stages: progress.Stages = progress.QUIET   # what staff see while it runs (stderr only)
    live: incremental.Live | None = None   # the published site this build started from
    unchanged: set[str] = field(default_factory=set)   # files of the build that are still its files
    links: LinkIndex | link_index.Saved = field(default_factory=LinkIndex)   # the link index of the build
    links_folder: tempfile.TemporaryDirectory | None = None   # where the link gate's process saves it
    private: set[str] = field(default_factory=set)   # digests of the private values looked for
    public: set[str] = field(default_factory=set)    # digests of the numbers let pass as published
    settings: str = ""   # incremental.settings_digest of this build
    # the personal-data check, forked once the exports are validated (``personal_data_check``)
    personal: parallel.Waiting | None = None

    def passed(self, name: str, detail: str) -> None:
        self.gates.append({"name": name, "passed": True, "detail": detail})


class Refused(Exception):
    def __init__(self, gate: str, findings: list[gates.Finding], exit_code: int = EXIT_GATE):
        self.gate, self.findings, self.exit_code = gate, findings, exit_code
        super().__init__(f"{gate}: {findings[0] if findings else ''}")


def publish(options: Options) -> Run:
    """Build, check and swap; raises ``Refused`` (with ``<output>/`` untouched) on any failure.
    The caller holds the lock and has recovered any interrupted publish."""
    run = Run()
    city, siteurl = load_settings(options.settings)
    try:
        run.stages = progress.Stages("publish")
    except progress.ProgressError as error:
        raise Refused("settings", [gates.Finding("SHAFAF_PROGRESS", str(error))]) from None

    def say_waiting(holder: str) -> None:
        print(f"Waiting for {holder or 'another build'} to finish with {options.content}/ …", file=sys.stderr)
    try:
        with lock.held(options.content, "make publish", wait=True, on_wait=say_waiting):
            with run.stages:
                try:
                    _publish(options, run, city, siteurl)
                finally:
                    if run.personal is not None:   # refused before it ran: end it, unstarted
                        run.personal.close()
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
    check_state_present(options, run)
    check_state_matches_site(options, run)
    run.publication = publication = prepare(options, city, run)
    run.last = publication.change_log.last   # as the build read it: not read and held twice
    run.passed("exports-readable", f"{options.exports}: all exports read")
    check_rejected_share(options, run)
    check_shrink(options, run)
    check_date_order(options, run)
    run.settings = incremental.settings_digest(siteurl, [options.settings, ROOT / "pelicanconf.py"])
    run.live, how = incremental.live_site(options.output, options.state, options.cache, options.full_check,
                                          run.settings)
    if run.live is None and options.output.exists():
        print(f"make publish: a full build ({how})", file=sys.stderr)
    settled = build_into_fresh_folder(options, publication, city, siteurl, run.stages, run.live)
    run.passed("start", f"{how}, seeded {run.live.seeded}; {len(settled.removed)} files no longer made removed"
               if run.live else f"a full build into an empty {options.new.name}/: {how}")
    run.unchanged = settled.unchanged
    check_build(options, run, siteurl)
    run.stages.begin("gzip")
    point("compressing")
    written, kept = compress(options.new, run.unchanged, gzip_twins(options, run), listed=settled.texts)
    del settled
    # Details start with a word: the staff report is right-to-left, and a leading number moves.
    run.passed("gzip", f"copies written: {written}; kept from the live site, their files unchanged: {kept}")
    point("compressed")
    run.stages.begin("swap")
    put_in_place(options, run)
    run.stages.end()
    staff_report.write(options.reports, publication, run.gates,
                       f"Published {publication.change_log.published} to {options.output}; "
                       f"the previous site is in {options.previous}.")


# --- before anything is built ------------------------------------------------------------

def refuse_unwritable(options: Options) -> None:
    found = transaction.unwritable(options.output, options.state)
    if found:
        raise Refused("writable", [gates.Finding(str(f), "this process cannot create, rename or remove files "
                                                 "here (permissions, a read-only mount, chattr +i); nothing "
                                                 "was changed") for f in found])


def check_state_present(options: Options, run: Run) -> None:
    """A site already published and no baseline beside it: most likely ``STATE`` is mistyped,
    and publishing would announce every record as added and restart the public change log."""
    if (options.state / "published.json").is_file():
        run.passed("first-publication", f"{options.state}/published.json found")
        return
    published = [p for p in (options.output, options.previous) if p.exists()]
    if published and not options.first:
        raise Refused("first-publication", [gates.Finding(
            str(options.state), f"holds no published.json, but {published[0]}/ holds a site published before: "
            "is STATE the folder of the last publication? (FIRST=1 publishes as a first publication)")])
    run.passed("first-publication", f"first publication into {options.output}/"
               + (" (FIRST=1)" if published else ""))


def check_state_matches_site(options: Options, run: Run) -> None:
    """The state must be the one the live site was published with (its seal names it)."""
    live = seal.read(options.output)
    found = seal.state_digest(options.state)
    if live is None or found is None or live.state == found:
        run.passed("state-matches-site", "the state is the live site's" if live and found else "nothing to compare")
        return
    finding = gates.Finding(str(options.state / "published.json"),
                            f"is not the state {options.output}/ was published with ({live.published}); "
                            "restore the matching pair (see README, Recovering)")
    if not options.force:
        raise Refused("state-matches-site", [finding])
    run.passed("state-matches-site", f"forced past: {finding}")


# --- stages -------------------------------------------------------------------------------

def load_settings(path: Path) -> tuple[settings.Municipality, str]:
    try:
        city, names = settings.site(path)
    except settings.SettingsError as error:
        raise Refused("settings", [gates.Finding(str(path), str(error))]) from None
    return city, str(names.get("SITEURL") or "").rstrip("/")


def prepare(options: Options, city: settings.Municipality, run: Run) -> build.Publication:
    def fork_personal_data_check(validated) -> None:
        run.personal = parallel.Waiting(personal_data_check, prepare=functools.partial(gates.private_candidates, validated))
    try:
        return build.prepare(options.exports, city, options.date, options.state, options.cache, run.stages,
                             on_validated=fork_personal_data_check)
    except FileError as error:
        where = f"{error.file} [{error.sheet}]" if error.sheet else error.file
        raise Refused("exports-readable", [gates.Finding(where, f"{error.code}: {error.detail}")], EXIT_EXPORTS) from None
    except ChangesError as error:
        raise Refused("state", [gates.Finding(str(options.state), str(error))]) from None
    except settings.SettingsError as error:
        raise Refused("settings", [gates.Finding("SHAFAF_TODAY / pelicanconf.py", str(error))]) from None


def check_rejected_share(options: Options, run: Run) -> None:
    findings = gates.rejected_shares(run.publication.validated, options.max_rejected)
    if findings and not options.force:
        raise Refused("rejected-share", findings)
    run.passed("rejected-share", "forced past: " + "; ".join(map(str, findings)) if findings
               else f"every dataset below {options.max_rejected:.1%}")


def shrinkage(last: dict | None, counts: dict[str, int], limit: float) -> list[str]:
    """Datasets that came empty after a publication that was not, or lost more than ``limit``
    (0.1 = 10 %) of their records since it; exactly ``limit`` passes."""
    causes = []
    for name, count in counts.items():
        before = len(last["records"].get(name, {})) if last else 0
        if not before:
            continue
        if count == 0:
            causes.append(f"{name}: no records at all (a header-only export?) after {before} "
                          f"published on {last['published']}; every one would be withdrawn")
        elif Fraction(before - count, before) > Fraction(str(limit)):
            causes.append(f"{name}: {count} records after {before} published on {last['published']} "
                          f"({(before - count) / before:.1%} fewer, limit {limit:.1%})")
    return causes


def check_shrink(options: Options, run: Run) -> None:
    counts = {name: len(getattr(run.publication, name)) for name in TRACKED}
    causes = shrinkage(run.last, counts, options.max_shrink)
    if causes and not options.force:
        raise Refused("shrink", [gates.Finding(str(options.exports), cause) for cause in causes])
    run.passed("shrink", "forced past: " + "; ".join(causes) if causes
               else f"no dataset shrank by more than {options.max_shrink:.1%}")


def check_date_order(options: Options, run: Run) -> None:
    log = run.publication.change_log
    if log.last_published and log.published < log.last_published and not options.force:
        raise Refused("publication-date", [gates.Finding(
            str(options.state / "published.json"),
            f"publication date {log.published} is before the last publication ({log.last_published}); "
            "set SHAFAF_PUBLICATION_DATE")])
    run.passed("publication-date", f"{log.published} (last: {log.last_published or 'none'})")


def build_into_fresh_folder(options: Options, publication: build.Publication, city: settings.Municipality,
                            siteurl: str, stages: progress.Stages = progress.QUIET,
                            live: incremental.Live | None = None) -> incremental.Settled:
    """Build into ``<output>.new/``: an empty folder, or (``live``) hard links of the live site
    in which the build replaces what changed and from which what it no longer makes is
    removed. Returns the walk that removed them (``incremental.settle``)."""
    new = options.new
    if new.exists():
        shutil.rmtree(new)
    if live is not None:
        stages.begin("seed")
        live.seeded = incremental.seed(live, new, transaction.Slot(options.output).spare)
    else:
        new.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="shafaf-written-") as folder, files.recording(Path(folder)) as written:
        carry_over_snapshots(options, new / URLS.data(), publication.change_log.published)
        build.write(publication, options.content, new, options.reports, city, siteurl, stages)
        stages.begin("pelican")
        env = {**os.environ, "PYTHONHASHSEED": "0", "SHAFAF_SITEURL": siteurl}
        # Pelican's caches and the plugin's belong to this publish's cache folder, not to the
        # code folder's cache/pelican/ that make html keeps; without one, to the build alone.
        pelican_cache = options.cache.resolve() / "pelican" if options.cache is not None else Path(folder) / "pelican-cache"
        pelican = subprocess.Popen(parallel.tied([options.pelican, str(options.content), "-o", str(new),
                                                  "-s", str(options.settings),
                                                  "-e", f"CACHE_PATH={json.dumps(str(pelican_cache))}"]),
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        point("pelican")
        stdout, stderr = pelican.communicate()
        log = stdout + stderr
        if pelican.returncode != 0 or "ERROR" in log:
            lines = [line for line in log.splitlines() if "ERROR" in line or "Error" in line] or log.splitlines()[-5:]
            raise Refused("pelican", [gates.Finding(str(options.settings), line.strip()) for line in lines[:20]])
        produced = incremental.real_paths(written())
    # The .gz copies come later (compress): the live site's stay beside their files.
    produced |= {path + ".gz" for path in produced if is_text(path)}
    # timed with pelican: a walk, no new stage line
    settled = incremental.settle(new, produced, live)
    if live is None and settled.removed:
        # An empty folder holds only what was written: a file nobody recorded has a writer
        # that bypasses pipeline.files, and the next publish would delete it.
        raise Refused("manifest", [gates.Finding(f"{new.name}/{name}", "written by no writer that records "
                                                 "its files (pipeline.files.record)") for name in settled.removed])
    return settled


def snapshots(options: Options) -> list[Path]:
    """The dated folders of earlier publications: the state's archive. A state kept before the
    archive existed has none; then, once, the live site's folders of the publications that
    state's change log lists."""
    archive = options.state / ARCHIVE
    if archive.is_dir():
        return sorted(f for f in archive.glob(SNAPSHOT_NAME) if f.is_dir())
    known = {p["published"] for p in load_state(options.state)["history"]}
    live = options.output / URLS.data()
    return sorted(f for f in live.glob(SNAPSHOT_NAME) if f.is_dir() and f.name in known) if live.is_dir() else []


def carry_over_snapshots(options: Options, new_data: Path, published: str) -> int:
    """Earlier publications' dated folders stay published: hard links (or copies) of them.
    Hard links are safe: files are only ever replaced, never rewritten in place. A file
    already there (linked from the live site) is kept when it is the same file, else replaced."""
    count = 0
    for folder in snapshots(options):
        if folder.name != published:
            for path in sorted(folder.rglob("*")):
                target = new_data / folder.name / path.relative_to(folder)
                if path.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    incremental.link(path, target)
                    files.record(target)
            count += 1
    return count


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def check_build(options: Options, run: Run, siteurl: str) -> None:
    """Every gate over the build. A file in ``run.unchanged`` (still the live site's file,
    which these gates passed when it was published) is looked at only for what is new since:
    private values not looked for then, link targets no longer there."""
    new = options.new
    package = new / URLS.datapackage()
    # The three side by side, each in a process of its own (at 100k a cold publish's link gate
    # reads 133,727 pages, and its index of 5 million links would stay in this process, which
    # holds the build). Their verdicts are then read in this order; the stages after the
    # first are what was left to wait for.
    validating = gates.Frictionless(package, options.frictionless)
    run.links_folder = tempfile.TemporaryDirectory(prefix="shafaf-links-")
    linking = parallel.Forked(links_check, new, siteurl, run.unchanged, run.live.links if run.live else None,
                              Path(run.links_folder.name))   # draws no bar: the gate's is drawn meanwhile
    if run.live is not None:
        run.live.links = None   # the last publication's index: the link gate's process has it
    try:
        run.stages.begin("personal-data")
        live = Published(run.live.private, run.live.public) if run.live is not None else None
        try:
            with run.stages.drawn_elsewhere() as progress_mode:
                findings, how, run.private, run.public, known = run.personal.start(
                    new, run.unchanged, live, options.cache, options.full_check, progress_mode).result()
        finally:
            run.personal.close()
            run.personal = None
        if findings:
            raise Refused("personal-data", [gates.Finding(f"{new.name}/{f.file}", f.cause) for f in findings])
        run.passed("personal-data", f"no national ID, mobile number or private value ({known} known) in any "
                                    f"file: {how}")
        run.stages.begin("frictionless")
        findings = validating.findings()
        if findings:
            raise Refused("frictionless", findings)
        run.passed("frictionless", f"{package.relative_to(new)} valid (checked beside the personal-data gate)")
        run.stages.begin("links")
        findings, checked, found = linking.result()
    finally:
        validating.stop()
        linking.end_unasked()   # a refusal before its verdict: not left running
    if findings:
        raise Refused("links", [gates.Finding(f"{new.name}/{f.file}", f.cause) for f in findings])
    run.links = found["index"]
    run.passed("links", f"internal links that resolve: {checked}, on the {found['full']} pages read in full "
               "(checked beside the personal-data gate)"
               + (f"; unchanged pages: {found['incremental']}, whose {found['targets']} recorded link targets "
                  "are all files of the site" if run.live else ""))


def links_check(new: Path, siteurl: str, unchanged: set[str], recorded: LinkIndex | None,
                folder: Path) -> tuple[list[gates.Finding], int, dict]:
    """The link gate, run in a process forked for it: its index is written into ``folder``
    (``link_index.Saved``), which the state's index is then made from."""
    findings, checked, found = gates.check_links(new, siteurl, unchanged, recorded)
    found["index"] = link_index.save(found["index"], folder)
    return findings, checked, found


class Published(NamedTuple):
    """What the personal-data gate needs of the last publication: the digests of the private
    values it looked for and of the numbers it published."""
    private: set[str]
    public: set[str]


def personal_data_check(prepared: parallel.Prepared, new: Path, unchanged: set[str], live: Published | None,
                        cache: Path | None, full_check: bool, progress_mode: str = "off"
                        ) -> tuple[list[gates.Finding], str, set[str], set[str], int]:
    """The personal-data gate, run by a process forked as soon as the exports were validated
    (``Run.personal``), which made the candidates of the private values (``prepared``) from the validated
    tables then, while the build went on: not in the publish's process, which by now holds the
    whole build (at 100k rulings the values and their matcher cost 250 MB more at their peak,
    which that process would then keep). The values published before are read from the dated
    snapshots of the built site (only the files the last publication did not read).
    ``live``: the last publication's (private, public) digests, None for a full check.
    Returns the findings, how the files were read, this build's digests of private values
    and of published numbers (for the state), and how many values were looked for. Its bar
    (``progress_mode``) is drawn here, the publish's live line stopped meanwhile."""
    snapshots = gates.snapshot_values(new / URLS.data(), cache / "publish" / "snapshot-values" if cache else None,
                                      read_record=not full_check)
    candidates: gates.Candidates = prepared.take()
    private = candidates.values(snapshots.published)
    private.public_numbers |= snapshots.numbers
    read = f"; dated snapshots' CSV files read: {snapshots.read}, known from the last reading: {snapshots.known}"
    del candidates, snapshots
    stages = progress.Stages.elsewhere("publish", "personal-data", progress_mode)
    findings, how, digests, public = scan_personal_data(new, private, unchanged, live, cache, full_check, stages)
    return findings, how + read, digests, public, len(private)


def scan_personal_data(new: Path, private: gates.PrivateValues, unchanged: set[str], live: Published | None,
                       cache: Path | None, full_check: bool, stages: progress.Stages = progress.QUIET
                       ) -> tuple[list[gates.Finding], str, set[str], set[str]]:
    """Changed files against every private value; unchanged ones against the values that are
    new since the last publication (all of them, should a number published then no longer be).
    Returns the findings, how, and the digests of the private values and published numbers."""
    # the digests only: the dict of every value by its digest is not held through the scan
    digests, public = set(private.digests()), gates.number_digests(private.public_numbers)
    every = gates.site_files(new)   # names, not Paths: 470,000 at 100k
    same = [name for name in every if name in unchanged]
    changed = [name for name in every if name not in unchanged]
    # large rewritten files (datasets, change log): only their lines not seen clean before
    lines = gates.LineRecords(cache / "publish" / "personal-data", private, read=not full_check) \
        if cache is not None else None
    # files whose bytes passed before (this publication's dated folder): a hash, not a scan
    verdicts = gates.Verdicts(cache / "publish" / "personal-data-verdicts", private,
                              read=not full_check) if cache is not None else None
    def by_line() -> str:
        return (f" (large ones read by their lines not seen clean before: {lines.files_by_line}, "
                f"lines scanned: {lines.lines_scanned})" if lines is not None and lines.files_by_line else "") + (
            f" (their bytes passed before, read only for the {len(verdicts.fresh)} values new since: "
            f"{verdicts.known_again})" if verdicts is not None and verdicts.known_again else "")
    if live is None or live.public - public:
        findings = gates.scan_personal_data(new, private, stages, every, lines=lines, verdicts=verdicts)
        gates.keep_records(new, findings, lines, verdicts, every)
        return findings, f"files scanned in full: {len(every)}" + by_line() + (
            " (unchanged ones too: a number published before is no longer)" if live else ""), digests, public
    fresh = digests - live.private
    findings = gates.scan_personal_data(new, private, stages, changed, lines=lines, verdicts=verdicts)
    if fresh:
        findings += gates.scan_personal_data(new, private.only(fresh), stages, same)
    gates.keep_records(new, findings, lines, verdicts, every)
    return findings, (f"files scanned in full: {len(changed)}{by_line()}; unchanged files scanned for the "
                      f"{len(fresh)} values new since the last publication: {len(same)}" if fresh else
                      f"files scanned in full: {len(changed)}{by_line()}; unchanged files not read again, no "
                      f"value being new since the last publication: {len(same)}"), digests, public


def gzip_twins(options: Options, run: Run) -> dict[str, str]:
    """The live seal's sha256 of every unchanged file whose ``.gz`` is unchanged too -> that ``.gz``."""
    published = seal.read(options.output) if run.live is not None else None
    if published is None:
        return {}
    return {published.files[name]: name + ".gz" for name in sorted(run.unchanged, reverse=True)
            if is_text(name) and keeps_gz(name, run.unchanged) and name in published.files}


# --- the transaction ----------------------------------------------------------------------

def put_in_place(options: Options, run: Run) -> None:
    """Stage the new state, seal the new site, and move both into place in one transaction."""
    log = run.publication.change_log
    staged = transaction.Slot(options.state).new
    stage_state(options.state, staged, options.new / URLS.data() / log.published,
                lambda s: commit(s, options.state, log, run.last))
    point("state-staged")
    hashing = sealing(options, run)
    digest = seal.write(options.new, log.published, staged, hashing)
    run.passed("seal", f"files hashed: {hashing.hashed}; digests kept from the live site's seal, their files "
                       f"untouched since: {hashing.kept}")
    incremental.save(staged, options.new, log.published, run.links, run.private, run.public, run.settings,
                     options.cache, options.output, hashing.seen)
    point("sealed")
    refuse_unwritable(options)   # again: the build took minutes, and nothing live has moved yet
    transaction.finish(options.output, transaction.begin(options.output, options.state, log.published))
    for problem in transaction.clean(options.output, options.state):
        print(f"warning: published, but could not remove {problem}", file=sys.stderr)
    # Last: the trash removed, no hard link of these files moves again until the next publish.
    try:
        seal.save_record(options.cache, options.output, digest, hashing.seen)
    except OSError as error:   # a cache: the publication is complete, the next check hashes every file
        print(f"warning: published, but could not record the files' signatures ({error})", file=sys.stderr)


def sealing(options: Options, run: Run) -> seal.Hashing:
    """The digests the new seal may keep: those of the live seal whose files were, when this
    publish started, exactly as recorded when the last one ended; inside this publish their
    ctime moves only with their link count (the seed's links, the staged state's)."""
    published = seal.read(options.output) if run.live is not None else None
    if published is None:
        return seal.Hashing()
    return seal.Hashing(known=run.live.vouched(published), links_moved=True)


def commit(staged: Path, state: Path, log, last: dict | None) -> None:
    """``commit_state``, but the last publication's ``published.json`` becomes the new
    ``previous.json`` as a hard link, not as the same bytes read and written again (the
    values file it names is among the staged links already; an older format's
    ``commit_state`` copies)."""
    if last and last["published"] != log.published and last.get("format") == STATE_FORMAT \
            and (state / "published.json").is_file():
        incremental.link(state / "published.json", staged / "previous.json")
        last = None
    commit_state(staged, log, last)


def stage_state(state: Path, staged: Path, snapshot: Path, commit) -> None:
    """``staged``: hard links of ``state`` (its files are only ever replaced, never rewritten),
    this publication's snapshot added to the archive, then the new baseline committed."""
    if staged.exists():
        shutil.rmtree(staged)
    if state.is_dir():
        shutil.copytree(state, staged, copy_function=_link_or_copy)
    else:
        staged.mkdir(parents=True)
    archived = staged / ARCHIVE / snapshot.name
    if archived.exists():
        shutil.rmtree(archived)
    shutil.copytree(snapshot, archived, copy_function=_link_or_copy)
    commit(staged)


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


def arguments(argv: list[str] | None) -> argparse.Namespace:
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
    parser.add_argument("--max-shrink", type=float,
                        default=float(os.environ.get("SHAFAF_MAX_SHRINK", DEFAULT_MAX_SHRINK)),
                        help="largest share of a dataset's records that may disappear since the last "
                             "publication, 0.1 = 10%% (default $SHAFAF_MAX_SHRINK or 0.1)")
    parser.add_argument("--force", action="store_true", default=os.environ.get("FORCE", "") not in ("", "0"),
                        help="publish although the rejected-share, shrink, date or state-matches-site gate fails (FORCE=1)")
    parser.add_argument("--first", action="store_true",
                        help="no state yet although a site is published: start the change log afresh (FIRST=1)")
    parser.add_argument("--full-check", action="store_true",
                        default=os.environ.get("FULL_CHECK", "") not in ("", "0"),
                        help="build into an empty folder and run every gate over every file, as if nothing "
                             "had been published before (FULL_CHECK=1)")
    parser.add_argument("--wait", action="store_true", help="wait for a running publish or upload instead of stopping")
    parser.add_argument("--recover", action="store_true",
                        help="only finish or clear an interrupted publish, then stop (make recover)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    try:
        date = None if args.recover else settings.publication_date(args.date)
    except settings.SettingsError as error:
        print(f"\nShafaf did not publish: {error}\n", file=sys.stderr)
        return EXIT_GATE
    options = Options(args.exports, transaction.real_folder(args.output), args.content, args.reports,
                      transaction.real_folder(args.state), args.cache,
                      args.settings, date, args.force, args.max_rejected, args.max_shrink, args.first,
                      args.full_check)
    try:
        refuse_unwritable(options)   # first, or the lock file could not even be created
        with lock.held(options.output, "make publish", wait=args.wait):
            refuse_unwritable(options)
            for line in transaction.recover(options.output, options.state):
                print(line)
            if args.recover:
                return 0
            run = publish(options)
    except lock.Busy as busy:
        print(f"\nShafaf did not publish: another publish or upload is running ({busy.holder}; lock "
              f"{busy.path}). Nothing was changed. Try again when it has ended, or add --wait (WAIT=1).\n",
              file=sys.stderr)
        return EXIT_LOCKED
    except Refused as refused:
        print(refusal_message(refused, options), file=sys.stderr)
        return refused.exit_code
    except (OSError, transaction.RecoveryError) as error:
        print(interrupted_message(error, options), file=sys.stderr)
        return EXIT_GATE
    print(report.format_summary(run.publication.validated, options.reports))
    for gate in run.gates:
        print(f"  {'ok' if gate['passed'] else 'FAILED'}  {gate['name']}: {gate['detail']}")
    print(f"\nPublished {run.publication.change_log.published} into {options.output}/ "
          f"(previous site: {options.previous}/). Report: {options.reports / 'report.html'}\n")
    return 0


def interrupted_message(error: Exception, options: Options) -> str:
    journal = transaction.journal_path(options.output)
    if journal.exists():
        return (f"\nShafaf could not finish a publication: {error}\nIts journal, {journal}, is kept: once the "
                "cause is fixed, `make recover` (or the next publish) completes it. See README, Recovering.\n")
    return f"\nShafaf did not publish: {error}\n{options.output}/ was not changed.\n"


if __name__ == "__main__":
    sys.exit(main())
