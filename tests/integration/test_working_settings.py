"""A mistyped switch of the staff and build commands is said in one line before anything
is read or written. REGISTER_INCREMENTAL=no was taken as unset: the append went on and
brought the build up to date in place, the opposite of what was asked."""

from __future__ import annotations

import pytest

from tests.staff_helpers import STAFF, digest, make

CASES = [
    ("append", {"TABLE": "coproduction_log", "FILE": STAFF / "log_good.csv"}, "REGISTER_INCREMENTAL", "no"),
    ("append", {"TABLE": "coproduction_log", "FILE": STAFF / "log_good.csv"}, "REGISTER_APPEND_SCAN", "yes"),
    ("validate", {}, "REGISTER_VALIDATOR", "frictionless"),
    ("build", {}, "REGISTER_BUILD_TIMINGS", "true"),
]


@pytest.mark.parametrize(("target", "variables", "name", "value"), CASES)
def test_a_mistyped_setting_stops_the_command_before_it_writes(repo, target, variables, name, value):
    before = digest(repo)
    result = make(target, repo, env={name: value}, **variables)
    assert result.returncode != 0
    assert f"{name}={value!r} is " in result.stderr and "docs/settings.md" in result.stderr
    assert "Traceback" not in result.stderr
    assert digest(repo) == before
    assert not (repo / "build" / "register.db").exists()


def test_each_switch_takes_its_documented_values(monkeypatch):
    from register import settings

    for name, value in [("REGISTER_INCREMENTAL", "0"), ("REGISTER_APPEND_SCAN", "1"), ("REGISTER_BUILD_TIMINGS", "1")]:
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REGISTER_VALIDATOR", "fast")
    monkeypatch.setenv("REGISTER_KEEP_RELEASES", "0")
    settings.working()
    assert not settings.switch(settings.INCREMENTAL)
    assert settings.switch(settings.APPEND_SCAN) and settings.switch(settings.BUILD_TIMINGS)
    assert settings.choice(settings.VALIDATOR, settings.VALIDATORS) == "fast"
    for name in ["REGISTER_INCREMENTAL", "REGISTER_APPEND_SCAN", "REGISTER_BUILD_TIMINGS", "REGISTER_VALIDATOR"]:
        monkeypatch.delenv(name)
    assert settings.switch(settings.INCREMENTAL) and not settings.switch(settings.APPEND_SCAN)
    assert settings.choice(settings.VALIDATOR, settings.VALIDATORS) == ""
