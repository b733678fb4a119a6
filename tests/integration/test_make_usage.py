"""A make target given a wrong option says plainly what to type, before it does any work."""

from __future__ import annotations

import subprocess

from register.schema.package import ROOT


def run_make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=60
    )


def test_publish_to_an_unknown_host_is_refused_before_anything_is_built():
    result = run_make("publish", "TARGET=aws")
    assert result.returncode == 2
    assert "TARGET= must be cloudrun or fly, not aws; for example: make publish TARGET=fly" in result.stderr
    assert "usage:" not in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing was built first


def test_publish_to_a_known_host_is_not_refused():
    result = run_make("-n", "publish", "TARGET=fly")
    assert result.returncode == 0, result.stderr
    assert "register.publishing.publish fly" in result.stdout
