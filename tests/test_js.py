"""Runs the JavaScript suites (node's test runner) so that `make test` covers both languages."""

import subprocess
from pathlib import Path



ROOT = Path(__file__).resolve().parent.parent



def test_javascript_suites_pass():
    result = subprocess.run(["node", "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
