"""On an unchanged tree `make serve` goes straight to serving (README.md): every output is
a file target, and once made it is up to date until its inputs change."""

from __future__ import annotations

import os
import shutil
import subprocess

from register.schema.package import ROOT
from tests.conftest import copy_repo

OLD = 946684800  # 2000-01-01: what `make install` reads is older than the installed environment


def checkout(dest):
    """A copy of the repository's data beside this checkout's Makefile, code and environment."""
    copy_repo(dest)
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
        shutil.copy(ROOT / name, dest / name)
        os.utime(dest / name, (OLD, OLD))
    for name in (".venv", "src", "notebooks"):
        (dest / name).symlink_to(ROOT / name)
    return dest


def make(root, *args):
    env = {**os.environ, "PWD": str(root), "REGISTER_ROOT": str(root), "CI": "true"}
    env.pop("MAKEFLAGS", None)
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_extracts_are_up_to_date_after_a_rebuild_of_the_same_data(tmp_path):
    """A rebuild with the same data (site text edited, code updated) makes the same release,
    whose files are made the downloads again: they must count as made now, or every later
    `make serve`, `make report` and `make publish` extracts and runs the report again."""
    root = checkout(tmp_path)
    first = make(root, "extracts")
    assert first.returncode == 0, first.stderr
    assert make(root, "-q", "extracts").returncode == 0
    os.utime(root / "metadata.yml")  # the database is rebuilt; the release's inputs are the same
    again = make(root, "extracts")
    assert again.returncode == 0, again.stderr
    assert "as when it was made; its files in" in again.stdout  # the release kept before, made current
    assert make(root, "-q", "extracts").returncode == 0, "make extracts is never up to date"


def test_make_clean_keeps_the_citable_releases(tmp_path):
    """`make clean` deleted build/ whole, and with it every release people had cited
    (docs/deployment.md, "Releases when deployed"); only `make clean-releases` does now."""
    root = checkout(tmp_path)
    (root / "build" / "releases" / "2026-12-01-abc").mkdir(parents=True)
    (root / "build" / "releases" / "2026-12-01-abc" / "register.csv").write_text("id\n", "utf-8")
    (root / "build" / "extracts").mkdir()
    (root / "build" / "register.db").write_bytes(b"")
    done = make(root, "clean")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (root / "build").iterdir()) == ["releases"]
    assert (root / "build" / "releases" / "2026-12-01-abc" / "register.csv").read_text("utf-8") == "id\n"
    assert "Kept build/releases/" in done.stdout
    assert make(root, "clean-releases").returncode == 0
    assert not (root / "build" / "releases").exists()
    assert make(root, "clean").returncode == 0  # nothing left to clean is no mistake
