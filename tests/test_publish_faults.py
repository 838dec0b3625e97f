"""``make publish`` and ``make upload`` at the edges: two runs at once, a kill at every step of
the swap, folders that cannot be written, an emptied output/, a preview where the site should
be, a dataset that shrank, a state folder that is missing.

Kills and pauses are injected at named steps (``pipeline.faults``), never timed from outside.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from factory import ruling, violation, write_exports
from pipeline import seal
from pipeline.faults import KILLED, STEPS
from pipeline.publish import DEFAULT_MAX_SHRINK, EXIT_LOCKED, shrinkage
from test_publish import good_exports, good_properties, publish, tree

FIRST, SECOND, THIRD = "2026-11-21", "2026-11-28", "2026-12-05"
FOLDERS = ("output", "output.prev", "state", "state.prev")


def second_exports(folder: Path) -> Path:
    return write_exports(
        folder,
        rulings=[ruling(ruling_no="1402/3/100"), ruling(ruling_no="1402/3/101", case_no="۵۵۱۰۱"),
                 ruling(ruling_no="1402/9/102", case_no="۵۵۱۰۲", ruling_date="۱۴۰۲/۰۹/۰۱")],
        violations=[violation(ruling_no=n) for n in ("1402/3/100", "1402/3/101", "1402/9/102")],
        properties=good_properties())


def third_exports(folder: Path) -> Path:
    return write_exports(
        folder,
        rulings=[ruling(ruling_no="1402/3/100"),
                 ruling(ruling_no="1402/3/101", case_no="۵۵۱۰۱", ruling_text="اضافه بنا در طبقه سوم."),
                 ruling(ruling_no="1402/9/102", case_no="۵۵۱۰۲", ruling_date="۱۴۰۲/۰۹/۰۱"),
                 ruling(ruling_no="1402/9/103", case_no="۵۵۱۰۳", ruling_date="۱۴۰۲/۰۹/۰۲")],
        violations=[violation(ruling_no=n) for n in ("1402/3/100", "1402/3/101", "1402/9/102", "1402/9/103")],
        properties=good_properties())


def snapshot(work: Path) -> dict[str, dict[str, str]]:
    return {name: tree(work / name) for name in FOLDERS}


def copy_work(source: Path, target: Path) -> Path:
    """The published folders and the exports (not content/, cache/, reports/: each run
    makes its own)."""
    for folder in sorted(source.iterdir()):
        if folder.name in FOLDERS or folder.name.startswith("exports-"):
            shutil.copytree(folder, target / folder.name, copy_function=shutil.copy2)
    return target


def recover(work: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.publish", "--recover", "--output", str(work / "output"),
                           "--state", str(work / "state")], cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A site published twice, so that output.prev and state.prev exist and the state's
    archive holds two dated snapshots; and the same site after a clean third publication."""
    work = tmp_path_factory.mktemp("history")
    for date, exports in ((FIRST, good_exports), (SECOND, second_exports)):
        run = publish(exports(work / f"exports-{date}"), work, date=date)
        assert run.returncode == 0, run.stderr
    third_exports(work / "exports-third")
    after = copy_work(work, tmp_path_factory.mktemp("after"))
    run = publish(work / "exports-third", after, date=THIRD)
    assert run.returncode == 0, run.stderr
    return {"work": work, "before": snapshot(work), "after": snapshot(after)}


@pytest.fixture
def site(history, tmp_path):
    return copy_work(history["work"], tmp_path / "work")


def assert_consistent(work: Path) -> None:
    """The live site's seal names the state beside it, and both archives hold every date."""
    live = seal.read(work / "output")
    assert live is not None and seal.check(work / "output") == []
    assert live.state == hashlib.sha256((work / "state" / "published.json").read_bytes()).hexdigest()
    dates = sorted(p.name for p in (work / "state" / "archive").iterdir())
    assert dates[:2] == [FIRST, SECOND]
    for date in dates:
        assert (work / "output" / "data" / date / "rulings.csv").is_file()
    for leftover in ("output.trash", "state.trash", "state.new", "output.journal.json"):
        assert not (work / leftover).exists(), leftover


# --- kills at every step ------------------------------------------------------------------

@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_leaves_old_or_new_site_and_state_and_backups(history, site, step):
    run = publish(site / "exports-third", site, date=THIRD, SHAFAF_FAULT=step)
    assert run.returncode == KILLED, f"step {step} was never reached\n{run.stderr[-3000:]}"
    recovered = recover(site)
    assert recovered.returncode == 0, recovered.stderr
    assert "Traceback" not in recovered.stderr
    expected = history["after"] if STEPS.index(step) >= STEPS.index("journal") else history["before"]
    assert snapshot(site) == expected, f"after a kill at {step}"
    assert_consistent(site)
    said = [line for line in recovered.stdout.splitlines() if line.startswith("Recovered")]
    print(f"kill at {step}: {'new' if expected is history['after'] else 'old'} site and its state; "
          f"prev pair kept; archives {sorted(p.name for p in (site / 'state' / 'archive').iterdir())}; "
          f"recovery said: {said or 'nothing'}")
    # Before the state is staged and after the trash is gone there is nothing to recover.
    assert ("Recovered" in recovered.stdout) == (step not in ("pelican", "compressing", "compressed", "cleaned")), \
        recovered.stdout


def processes_naming(text: str) -> list[int]:
    """The pids of the processes whose command line holds ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:   # ended meanwhile
            pass
    return found


def files_as_they_are(folder: Path) -> dict[str, tuple[int, int, int]]:
    return {p.relative_to(folder).as_posix(): (s.st_ino, s.st_mtime_ns, s.st_size)
            for p in sorted(folder.rglob("*")) if p.is_file() for s in [p.stat()]}


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
def test_a_kill_while_pelican_builds_ends_pelican_too(site):
    """Pelican builds into output.new/, the folder the next publish builds in: a publish
    killed meanwhile must not leave it writing there (it was started unbound to the publish,
    and went on writing the killed build's pages for as long as it took)."""
    run = publish(site / "exports-third", site, date=THIRD, SHAFAF_FAULT="pelican")
    assert run.returncode == KILLED, run.stderr[-3000:]
    left_at_kill = files_as_they_are(site / "output.new")
    for _ in range(1200):   # an orphan Pelican: wait for it to end, to see all it wrote
        if not processes_naming(str(site / "content")):
            break
        time.sleep(0.1)
    assert not processes_naming(str(site / "content"))
    assert files_as_they_are(site / "output.new") == left_at_kill, "written into output.new/ after the kill"


def test_the_next_publish_finishes_an_interrupted_one_and_says_so(history, site):
    run = publish(site / "exports-third", site, date=THIRD, SHAFAF_FAULT="site-exchanged")
    assert run.returncode == KILLED
    again = publish(site / "exports-third", site, date=THIRD)
    assert again.returncode == 0, again.stderr
    assert f"Recovered: the publication of {THIRD} had been interrupted" in again.stdout
    # the interrupted one was completed, then this one replaced it (same day, same exports)
    assert tree(site / "output") == history["after"]["output"]
    assert tree(site / "output.prev") == history["after"]["output"]
    assert_consistent(site)


# --- two runs at once ---------------------------------------------------------------------

def start_paused(work: Path, step: str, flag: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "SHAFAF_SITEURL": "https://shafaf.example.org", "SHAFAF_PUBLICATION_DATE": THIRD,
           "PYTHONHASHSEED": "0", "SHAFAF_PAUSE": step, "SHAFAF_PAUSE_FILE": str(flag)}
    env.pop("FORCE", None)
    first = subprocess.Popen(
        [sys.executable, "-m", "pipeline.publish", "--exports", str(work / "exports-third"),
         "--output", str(work / "output"), "--content", str(work / "content"), "--reports",
         str(work / "reports"), "--state", str(work / "state"), "--cache", str(work / "cache"), *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    while not flag.exists():
        assert first.poll() is None, first.communicate()
        time.sleep(0.05)
    return first


def staff_pages(work: Path) -> None:
    (work / "content" / "pages").mkdir(parents=True, exist_ok=True)
    for page in (ROOT / "content" / "pages").glob("*.md"):
        shutil.copy(page, work / "content" / "pages" / page.name)


def test_a_second_publish_or_upload_stops_at_once_while_one_compresses(history, site, tmp_path):
    staff_pages(site)
    flag = tmp_path / "paused"
    first = start_paused(site, "compressing", flag)
    try:
        second = publish(site / "exports-third", site, date=THIRD)
        upload = subprocess.run([sys.executable, "-m", "pipeline.upload", "--output", str(site / "output")],
                                cwd=ROOT, capture_output=True, text=True, check=False,
                                env={**os.environ, "SHAFAF_UPLOAD_DEST": str(tmp_path / "dest")})
        during = snapshot(site)
    finally:
        flag.unlink()
    out, err = first.communicate()
    assert second.returncode == EXIT_LOCKED, second.stderr
    assert "another publish or upload is running" in second.stderr and "output.lock" in second.stderr
    assert "make publish (pid" in second.stderr, "the message names who holds the lock"
    assert upload.returncode == EXIT_LOCKED and not (tmp_path / "dest").exists(), upload.stderr
    assert during == history["before"], "the refused runs changed nothing"
    assert first.returncode == 0, err
    assert snapshot(site) == history["after"]
    assert_consistent(site)


def wait_for_text(path: Path, text: str, process: subprocess.Popen) -> None:
    while text not in (path.read_text("utf-8", "replace") if path.exists() else ""):
        assert process.poll() is None, path.read_text("utf-8", "replace")
        time.sleep(0.05)


def test_a_preview_waits_while_a_publish_builds_from_the_same_content(history, site, tmp_path):
    """make html shares content/ and cache/ with make publish: it must not write pages while a
    publish is between building and swapping them into place."""
    staff_pages(site)
    flag = tmp_path / "paused"
    first = start_paused(site, "compressing", flag)
    log = tmp_path / "make.log"
    with log.open("w") as handle:
        preview = subprocess.Popen(["make", "-o", "setup", "html", f"EXPORTS={site / 'exports-third'}",
                                    f"PREVIEW={tmp_path / 'preview'}", f"CONTENT={site / 'content'}",
                                    f"REPORTS={tmp_path / 'reports'}"],
                                   cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for_text(log, "waiting for the publish", preview)
            assert preview.poll() is None and not (tmp_path / "preview").exists()
        finally:
            flag.unlink()
        assert first.wait() == 0, first.communicate()
        assert preview.wait() == 0, log.read_text()
    assert (tmp_path / "preview" / "index.html").is_file()
    assert snapshot(site) == history["after"]
    assert_consistent(site)


def test_a_publish_waits_while_a_preview_holds_the_content(history, site, tmp_path):
    from pipeline import lock
    staff_pages(site)
    log = tmp_path / "publish.log"
    env = {**os.environ, "SHAFAF_SITEURL": "https://shafaf.example.org", "SHAFAF_PUBLICATION_DATE": THIRD,
           "PYTHONHASHSEED": "0"}
    env.pop("FORCE", None)
    with lock.held(site / "content", "make html (a test)"), log.open("w") as handle:
        publishing = subprocess.Popen(
            [sys.executable, "-m", "pipeline.publish", "--exports", str(site / "exports-third"),
             "--output", str(site / "output"), "--content", str(site / "content"), "--reports",
             str(site / "reports"), "--state", str(site / "state"), "--cache", str(site / "cache")],
            cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, text=True, env=env)
        wait_for_text(log, "Waiting for make html (a test)", publishing)
        assert snapshot(site) == history["before"]
    assert publishing.wait() == 0, log.read_text()
    assert snapshot(site) == history["after"]


def waits_for_a_lock(pid: int) -> bool:
    """/proc/locks lists a process blocked in flock() as «N: -> FLOCK ADVISORY WRITE <pid> …»."""
    return any(line.split()[1] == "->" and line.split()[5] == str(pid)
               for line in Path("/proc/locks").read_text().splitlines() if len(line.split()) > 5)


def test_with_wait_the_second_run_waits_for_the_first(history, site, tmp_path):
    staff_pages(site)
    flag = tmp_path / "paused"
    first = start_paused(site, "compressing", flag)
    waiting = subprocess.Popen([sys.executable, "-m", "pipeline.publish", "--recover", "--wait",
                                "--output", str(site / "output"), "--state", str(site / "state")],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not waits_for_a_lock(waiting.pid):
        assert waiting.poll() is None, waiting.communicate()
        time.sleep(0.05)
    flag.unlink()
    assert first.wait() == 0
    assert waiting.wait() == 0, waiting.communicate()
    assert snapshot(site) == history["after"]


# --- folders that cannot be written -------------------------------------------------------

def immutable(path: Path, on: bool) -> None:
    # Tests run as root, whom permissions never stop; the immutable attribute stops root too.
    done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True, text=True)
    if done.returncode and on:
        pytest.skip(f"chattr +i is not supported here: {done.stderr.strip()}")


@pytest.mark.parametrize("folder", ["output", "output.prev", "state", "state.prev", "their parent"])
def test_a_folder_that_cannot_be_written_is_refused_before_anything_is_removed(history, site, folder):
    staff_pages(site)
    target = site if folder == "their parent" else site / folder
    immutable(target, True)
    try:
        run = publish(site / "exports-third", site, date=THIRD)
    finally:
        immutable(target, False)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert "gate «writable»" in run.stderr and f"file: {target}\n" in run.stderr, run.stderr
    assert snapshot(site) == history["before"]


# --- dated archives -----------------------------------------------------------------------

def test_an_emptied_output_does_not_lose_the_dated_archives(history, site):
    for child in (site / "output").iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    run = publish(site / "exports-third", site, date=THIRD)
    assert run.returncode == 0, run.stderr
    data = site / "output" / "data"
    for date in (FIRST, SECOND, THIRD):
        assert tree(data / date) == {k.split("/", 2)[2]: v for k, v in history["after"]["output"].items()
                                     if k.startswith(f"data/{date}/")}, date
    assert_consistent(site)


# --- preview and upload -------------------------------------------------------------------

def test_make_html_builds_a_preview_and_never_touches_the_published_site(history, site, tmp_path):
    before = tree(site / "output")
    # ``-o setup``: the environment is shared and installed; this test is about the folders.
    built = subprocess.run(["make", "-o", "setup", "html", f"EXPORTS={site / 'exports-third'}",
                            f"PREVIEW={tmp_path / 'preview'}", f"OUTPUT={site / 'output'}",
                            f"CONTENT={tmp_path / 'content'}", f"REPORTS={tmp_path / 'reports'}"],
                           cwd=ROOT, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    assert (tmp_path / "preview" / "index.html").is_file()
    assert tree(site / "output") == before
    refused = upload(tmp_path / "preview", tmp_path / "dest")
    assert refused.returncode == 1 and "no readable seal" in refused.stderr
    assert not (tmp_path / "dest").exists()


def upload(output: Path, dest: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.upload", "--output", str(output)],
                          cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "SHAFAF_UPLOAD_DEST": f"{dest}/"})


def test_upload_sends_the_sealed_site_and_nothing_else(site, tmp_path):
    dest = tmp_path / "dest"
    sent = upload(site / "output", dest)
    assert sent.returncode == 0, sent.stderr
    expected = tree(site / "output")
    del expected[seal.NAME]
    assert tree(dest) == expected


@pytest.mark.parametrize("tamper,named", [
    (lambda o: (o / "index.html").write_text("<p>edited by hand</p>", encoding="utf-8"), "changed since publish: index.html"),
    (lambda o: (o / "data" / "extra.csv").write_text("a\n", encoding="utf-8"), "added since publish: data/extra.csv"),
    (lambda o: (o / "data" / "rulings.csv").unlink(), "missing since publish: data/rulings.csv"),
    (lambda o: (o / seal.NAME).write_text("{not json", encoding="utf-8"), "no readable seal"),
    (lambda o: (o / seal.NAME).unlink(), "no readable seal"),
])
def test_upload_refuses_a_site_that_differs_from_its_seal(site, tmp_path, tamper, named):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "live.html").write_text("the server's copy", encoding="utf-8")
    tamper(site / "output")
    refused = upload(site / "output", dest)
    assert refused.returncode == 1 and named in refused.stderr, refused.stderr
    assert tree(dest) == {"live.html": hashlib.sha256(b"the server's copy").hexdigest()}


# --- the shrink gate ----------------------------------------------------------------------

def baseline(rulings: int, properties: int) -> dict:
    return {"published": FIRST, "records": {"rulings": {str(i): [] for i in range(rulings)},
                                            "properties": {str(i): [] for i in range(properties)}}}


@pytest.mark.parametrize("before,after,limit,refused", [
    (10, 9, 0.1, False),      # exactly the limit passes
    (10, 8, 0.1, True),
    (1000, 900, 0.1, False),
    (1000, 899, 0.1, True),   # one record past the limit
    (3, 2, 0.34, False),
    (3, 2, 0.33, True),       # 0.33 < 1/3
    (100, 93, 0.07, False),   # a limit that is no exact binary fraction, met exactly
    (100, 92, 0.07, True),
    (2, 1, 0.5, False),
    (2, 1, 0.49, True),
    (10, 0, 1.0, True),       # header-only after a non-empty publication, whatever the limit
    (0, 0, 0.1, False),       # nothing was published: nothing can shrink
    (5, 50, 0.1, False),      # growth
])
def test_shrinkage_edges(before, after, limit, refused):
    causes = shrinkage(baseline(before, 7), {"rulings": after, "properties": 7}, limit)
    assert bool(causes) == refused, causes
    assert not causes or causes[0].startswith("rulings:")
    assert DEFAULT_MAX_SHRINK == 0.1


@pytest.mark.parametrize("limit,code", [("0.5", 0), ("0.49", 1)])
def test_publish_refuses_a_registry_that_shrank_past_the_limit(history, site, limit, code):
    exports = write_exports(site / "exports-shrunk", rulings=[ruling(ruling_no="1402/3/100"),
                            ruling(ruling_no="1402/3/101", case_no="۵۵۱۰۱"),
                            ruling(ruling_no="1402/9/102", case_no="۵۵۱۰۲", ruling_date="۱۴۰۲/۰۹/۰۱")],
                            violations=[violation(ruling_no=n) for n in ("1402/3/100", "1402/3/101", "1402/9/102")],
                            properties=good_properties()[:1])
    run = publish(exports, site, date=THIRD, SHAFAF_MAX_SHRINK=limit)
    assert run.returncode == code, run.stderr
    if code:
        assert "gate «shrink»" in run.stderr and "properties: 1 records after 2" in run.stderr
        assert snapshot(site) == history["before"]


@pytest.mark.parametrize("emptied,force", [("rulings", False), ("properties", False), ("rulings", True),
                                           ("properties", True)])
def test_a_header_only_export_after_a_publication_is_refused_unless_forced(history, site, emptied, force):
    exports = second_exports(site / "exports-shrunk")
    header_only = write_exports(site / "exports-header-only", rulings=[], violations=[], properties=[])
    shutil.copy(header_only / f"{emptied}.xlsx", exports / f"{emptied}.xlsx")
    # even a limit of 100 % does not let an export with no records through
    published = len((site / "output" / "data" / f"{emptied}.csv").read_text("utf-8-sig").splitlines()) - 1
    run = publish(exports, site, date=THIRD, SHAFAF_MAX_SHRINK="1", **({"FORCE": "1"} if force else {}))
    if force:
        assert run.returncode == 0, run.stderr
        log = json.loads((site / "state" / "changes.json").read_text("utf-8"))["publications"][0]
        assert published >= 2 and log["counts"][emptied]["withdrawn"] == published
        assert f"ok  shrink: forced past: {emptied}: no records at all" in run.stdout
        # the change log's earlier entries no longer link to the withdrawn records' pages
        page = (site / "output" / "data" / "changes" / "index.html").read_text("utf-8")
        feed = (site / "output" / "feeds" / "changes.atom.xml").read_text("utf-8")
        assert f'/{emptied}/' not in page.split("<main", 1)[1] and f'/{emptied}/' not in feed
    else:
        assert run.returncode == 1 and "gate «shrink»" in run.stderr and "header-only" in run.stderr, run.stderr
        assert f"{emptied}: no records at all" in run.stderr
        assert snapshot(site) == history["before"]


# --- the state folder ---------------------------------------------------------------------

@pytest.mark.parametrize("how", ["mistyped", "empty"])
def test_a_missing_state_beside_a_published_site_is_refused_unless_first(history, site, how):
    elsewhere = site / "stat"
    if how == "empty":
        elsewhere.mkdir()
    run = publish(site / "exports-third", site, "--state", str(elsewhere), date=THIRD)
    assert run.returncode == 1 and "gate «first-publication»" in run.stderr and "FIRST=1" in run.stderr, run.stderr
    assert snapshot(site) == history["before"]
    assert elsewhere.exists() == (how == "empty") and not (elsewhere.exists() and any(elsewhere.iterdir()))
    first = publish(site / "exports-third", site, "--state", str(elsewhere), "--first", date=THIRD)
    assert first.returncode == 0, first.stderr
    log = json.loads((elsewhere / "changes.json").read_text("utf-8"))["publications"]
    assert len(log) == 1 and log[0]["counts"]["rulings"]["added"] == 4


def test_a_state_that_is_not_the_live_sites_is_refused(history, site):
    (site / "state").rename(site / "state.newer")
    (site / "state.prev").rename(site / "state")
    run = publish(site / "exports-third", site, date=THIRD)
    assert run.returncode == 1 and "gate «state-matches-site»" in run.stderr, run.stderr
    assert tree(site / "output") == history["before"]["output"]


# --- documentation ------------------------------------------------------------------------

def test_every_gate_setting_and_exit_code_of_publish_is_documented():
    import re
    readme = (ROOT / "README.md").read_text("utf-8")
    source = (ROOT / "pipeline" / "publish.py").read_text("utf-8")
    gates = set(re.findall(r'Refused\("([a-z-]+)"', source)) | set(re.findall(r'passed\("([a-z-]+)"', source))
    assert {"writable", "first-publication", "state-matches-site", "shrink"} <= gates
    for gate in gates - {"gzip"}:
        assert f"| `{gate}` |" in readme, gate
    for text in ("SHAFAF_MAX_SHRINK", "FIRST=1", "WAIT=1", "make recover", "75", "SHAFAF_FAULT",
                 "SHAFAF_UPLOAD_DEST", "preview/", "state/archive/", "output.lock", "output.journal.json"):
        assert text in readme, text
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^recover:", makefile, re.M) and "--first" in makefile and "--wait" in makefile
