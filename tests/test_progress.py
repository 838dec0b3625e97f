"""Staff see a build and a publish working: one line per finished stage with its time (logs, CI),
a live line with a bar and an estimate on a terminal; never a byte of it in the site."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from factory import VALID_NATIONAL_ID, property_, ruling, violation, write_exports
from pipeline import progress
from test_publish import publish, tree

STAGE_LINE = re.compile(r"^stage (\w+)/([\w -]+) (\d+\.\d) s$")
BUILD_STAGES = ["read", "validate", "privacy and records", "changes", "datasets", "downloads",
                "pages", "write data", "search index", "reports"]
PUBLISH_GATES = ["pelican", "personal-data", "frictionless", "links", "gzip", "swap"]


def stage_lines(stderr: str) -> list[tuple[str, str, float]]:
    return [(m.group(1), m.group(2), float(m.group(3)))
            for m in map(STAGE_LINE.match, stderr.splitlines()) if m]


def tiny_exports(folder):
    return write_exports(folder, rulings=[ruling(ruling_no="1402/3/100")],
                         violations=[violation(ruling_no="1402/3/100")], properties=[property_()])


def build(exports, work, mode: str | None):
    env = {k: v for k, v in os.environ.items() if k != "SHAFAF_PROGRESS"}
    if mode is not None:
        env["SHAFAF_PROGRESS"] = mode
    env["SHAFAF_PUBLICATION_DATE"] = "2026-11-21"
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "--exports", str(exports), "--content", str(work / "content"),
         "--output", str(work / "preview"), "--reports", str(work / "reports"), "--cache", str(work / "cache")],
        cwd=ROOT, capture_output=True, text=True, env=env, check=False)


def test_a_build_in_a_log_says_each_stage_once_in_order_with_its_time(tmp_path):
    run = build(tiny_exports(tmp_path / "exports"), tmp_path / "work", None)
    assert run.returncode == 0, run.stderr
    lines = stage_lines(run.stderr)
    assert [name for _, name, _ in lines] == BUILD_STAGES
    assert {title for title, _, _ in lines} == {"build"}
    assert "\x1b[" not in run.stderr, "a pipe is not a terminal: no escape codes in a log"


def test_live_progress_writes_nothing_but_stderr(tmp_path):
    exports = tiny_exports(tmp_path / "exports")
    quiet = build(exports, tmp_path / "off", "off")
    live = build(exports, tmp_path / "live", "live")
    assert quiet.returncode == live.returncode == 0, live.stderr
    assert stage_lines(quiet.stderr) == []
    assert "\x1b[" in live.stderr and "build: validate" in live.stderr, "the live line names the stage"
    for folder in ("content", "preview", "reports"):
        assert tree(tmp_path / "off" / folder) == tree(tmp_path / "live" / folder), folder
    assert quiet.stdout.replace(str(tmp_path / "off"), "") == live.stdout.replace(str(tmp_path / "live"), "")


def test_an_unknown_progress_mode_is_a_message_not_a_traceback(tmp_path):
    run = build(tiny_exports(tmp_path / "exports"), tmp_path / "work", "loud")
    assert run.returncode == 2
    assert "SHAFAF_PROGRESS='loud'" in run.stderr and "Traceback" not in run.stderr


def test_a_publish_times_every_gate(tmp_path):
    run = publish(tiny_exports(tmp_path / "exports"), tmp_path / "work")
    assert run.returncode == 0, run.stderr
    lines = stage_lines(run.stderr)
    assert [name for _, name, _ in lines] == BUILD_STAGES + PUBLISH_GATES
    assert {title for title, _, _ in lines} == {"publish"}


def test_a_live_publish_shows_the_personal_data_bar(tmp_path):
    """The personal-data gate runs in a process of its own (forked after validation): its bar
    is drawn there, under the publish's title, while the publish's own live line waits."""
    run = publish(tiny_exports(tmp_path / "exports"), tmp_path / "work", SHAFAF_PROGRESS="live")
    assert run.returncode == 0, run.stderr
    assert "publish: personal-data (files)" in run.stderr
    # the links are checked meanwhile, in the publish's process, with no bar to fight the gate's
    assert "publish: links (pages)" not in run.stderr


def test_a_refused_publish_does_not_report_its_failed_stage_as_finished(tmp_path):
    exports = write_exports(tmp_path / "exports", rulings=[ruling(ruling_no="1402/3/100")],
                            violations=[violation(ruling_no="1402/3/100")], properties=[property_()])
    page = f"Title: تماس\n\nشماره‌ی ملی {VALID_NATIONAL_ID}\n"
    run = publish(exports, tmp_path / "work", pages={"leak.md": page})
    assert run.returncode != 0 and "personal-data" in run.stderr
    names = [name for _, name, _ in stage_lines(run.stderr)]
    assert names[-1] == "pelican", names
    assert "personal-data" not in names and "frictionless" not in names


@pytest.mark.parametrize("chosen, expected", [("off", ""), ("plain", "stage t/one")])
def test_stages_in_plain_and_off(chosen, expected):
    out = io.StringIO()
    with progress.Stages("t", out, chosen) as stages:
        stages.begin("one")
        assert list(stages.track(range(3), 3, "items")) == [0, 1, 2]
    assert out.getvalue().startswith(expected)
    assert [name for name, _ in stages.times] == ["one"]


def test_a_live_bar_counts_the_items_and_estimates_the_rest():
    out = io.StringIO()
    with progress.Stages("publish", out, "live") as stages:
        stages.begin("links")
        assert list(stages.track(iter(range(5)), 5, "pages")) == list(range(5))
    text = out.getvalue()
    assert "publish: links (pages)" in text and "5/5" in text
    assert re.search(r"\d:\d\d:\d\d", text), "an estimate of the time left"


def test_the_quiet_stages_keep_nothing():
    progress.QUIET.begin("x")
    progress.QUIET.end()
    assert progress.QUIET.times == [] and progress.QUIET.current is None


def test_the_mode_follows_the_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    assert progress.mode({}, Terminal()) == "live"
    assert progress.mode({}, io.StringIO()) == "plain"
    assert progress.mode({"SHAFAF_PROGRESS": "off"}, Terminal()) == "off"
    with pytest.raises(progress.ProgressError):
        progress.mode({"SHAFAF_PROGRESS": "verbose"})

