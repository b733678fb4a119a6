"""A make target given a wrong option says plainly what to type, before it does any work."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

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


@pytest.mark.parametrize(
    "target,variable,value",
    [("serve", "PORT", "abc"), ("serve", "PORT", "99999"), ("serve-national", "PORT", "0"), ("lab", "LAB_PORT", "x")],
)
def test_a_port_that_is_no_port_is_refused_before_anything_is_built(target, variable, value):
    result = run_make(target, f"{variable}={value}")
    assert result.returncode == 2
    assert f'{variable}= must be a port number from 1 to 65535, not "{value}"; for example: make {target} ' in (
        result.stderr
    )
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_port_number_is_passed_on():
    result = run_make("-n", "serve", "PORT=8080")
    assert result.returncode == 0, result.stderr
    assert "--port 8080" in result.stdout


def test_serving_a_national_register_not_built_yet_says_how_to_build_it(tmp_path):
    result = run_make("serve-national", f"NATIONAL={tmp_path / 'national'}", "PORT=8769")
    assert result.returncode == 2
    assert f"There is no national register in {tmp_path / 'national'}/ yet: build it first with make national " in (
        result.stderr
    )
    assert "REGISTRY=path/to/registry.csv" in result.stderr and "integrity" not in result.stderr


def fresh_checkout(tmp_path):
    """What `make install` reads, in a folder of its own: nothing here touches this .venv."""
    tmp_path.mkdir()
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def fake_python(tmp_path, script: str):
    path = tmp_path / "fake-python"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    return path


def test_a_python_too_old_or_missing_is_said_before_anything_is_installed(tmp_path):
    checkout = fresh_checkout(tmp_path / "checkout")
    old = fake_python(tmp_path, 'case "$1" in --version) echo "Python 3.9.2";; esac; exit 1')
    for python, shown in [(old, "Python 3.9.2"), (tmp_path / "no-python", "not found")]:
        result = run_make("-C", str(checkout), "serve", f"PYTHON={python}")
        assert result.returncode == 2
        assert f"The register needs Python 3.11 or newer, and {python} is {shown}." in result.stderr
        assert "make serve PYTHON=python3.12" in result.stderr
        assert not (checkout / ".venv").exists()


def test_a_python_that_cannot_make_a_virtual_environment_says_what_to_install(tmp_path):
    checkout = fresh_checkout(tmp_path / "checkout")
    no_venv = fake_python(tmp_path, f'case "$2" in *ensurepip*) exit 1;; esac; exec {sys.executable} "$@"')
    result = run_make("-C", str(checkout), "install", f"PYTHON={no_venv}")
    assert result.returncode == 2
    assert "cannot make a virtual environment (it has no ensurepip)" in result.stderr
    assert "sudo apt-get install python3-venv" in result.stderr
    assert not (checkout / ".venv").exists()


def test_without_npm_the_browser_tests_say_what_to_install(tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("Makefile", "package.json", "package-lock.json"):
        shutil.copy(ROOT / name, checkout / name)
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(checkout), "node_modules/axe-core/axe.min.js"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(tmp_path / "nothing"), "HOME": str(tmp_path)},
        executable=shutil.which("make"),
    )
    assert result.returncode == 2
    assert "The browser tests need Node's npm" in result.stderr and "sudo apt-get install npm" in result.stderr
    assert not (checkout / "node_modules").exists()


@pytest.mark.parametrize("value", ['2025"04', "$(shell echo 2025-04-01)", "2025-04-01`touch x`"])
def test_a_period_date_reaches_the_report_exactly_as_typed(tmp_path, value):
    """PERIOD_START= is passed as the staff commands' values are: never expanded by make,
    never run by the shell, so what is wrong with it is said in the report's words."""
    from tests.conftest import copy_repo

    root = copy_repo(tmp_path)
    result = run_make("-s", "report", f"ROOT={root}", f"PERIOD_START={value}")
    assert result.returncode == 2
    assert f"PERIOD_START= (--start): {value!r} is not a date written YYYY-MM-DD" in result.stderr, result.stderr
    assert not (root / "x").exists() and not (ROOT / "x").exists()


@pytest.mark.parametrize("host", ["127.0.0.1; touch y", "$(shell touch y)", "`touch y`"])
def test_an_address_to_serve_on_is_never_run_and_is_said_plainly(tmp_path, host):
    """HOST= was spliced into the shell line of `make serve`: `HOST='127.0.0.1; touch y'`
    ran `touch y`. It is passed as the staff commands' values are, and one that is no
    address is said in one line, with an example, not as uvicorn's "Name or service not
    known" (exit 0)."""
    checkout = tmp_path / "checkout"
    (checkout / "build" / "national").mkdir(parents=True)
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, checkout / name)  # older than the installed marker: nothing reinstalled
    (checkout / ".venv").symlink_to(ROOT / ".venv")
    (checkout / "build" / "national" / "register.db").write_bytes(b"")
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(checkout), "serve-national", f"HOST={host}", "PORT=8199"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert f"HOST={host!r} is not an address this computer can serve on" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (checkout / "y").exists() and not (ROOT / "y").exists()


def test_a_port_in_use_is_said_before_anything_is_built(repo):
    # A second `make serve` validated and built for a minute, then stopped with uvicorn's
    # "address already in use".
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_make("serve", f"ROOT={repo}", f"PORT={port}")
    assert result.returncode == 2
    assert f"Not serving: port {port} on 127.0.0.1 is already in use. Is the register already being served?" in (
        result.stderr
    )
    assert f"make serve PORT={port + 1}" in result.stderr and "Traceback" not in result.stderr
    assert not (repo / "build" / "register.db").exists()
