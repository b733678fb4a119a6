"""The notebooks are kept in git as jupytext .py files, so no output is ever committed
(docs/report.md). A notebook converted or executed beside them (`jupytext --to ipynb
notebooks/impact_report.py` writes notebooks/impact_report.ipynb, with outputs once run)
and JupyterLab's checkpoints were not ignored, and so one `git add -A` from committing
outputs."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def test_notebooks_in_git_are_text_without_outputs():
    tracked = git("ls-files", "notebooks").stdout.split()
    assert "notebooks/impact_report.py" in tracked and "notebooks/analyst_guide.py" in tracked
    assert not [p for p in tracked if p.endswith(".ipynb") or ".ipynb_checkpoints" in p]


def test_a_notebook_run_beside_them_is_not_added_to_git():
    for path in (
        "notebooks/impact_report.ipynb",
        "notebooks/analyst_guide.ipynb",
        "notebooks/.ipynb_checkpoints/impact_report-checkpoint.py",
    ):
        assert git("check-ignore", "-q", "--no-index", path).returncode == 0, path
