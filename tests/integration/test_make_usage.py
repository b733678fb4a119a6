"""A make target given a wrong option says plainly what to type, before it does any work."""

from __future__ import annotations

import subprocess

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
