"""A REGISTER_* value that is not what docs/settings.md asks for is said in one line,
naming the variable, before the site starts: never a traceback from inside a plugin."""

from __future__ import annotations

import subprocess
import sys

import pytest

from register.site import serve

BAD = [
    ("REGISTER_CACHE_MB", "abc"),
    ("REGISTER_CACHE_MB", "nan"),
    ("REGISTER_CACHE_MAX_AGE_S", "-5"),
    ("REGISTER_PAGE_SLOTS", "0"),
    ("REGISTER_PAGE_SLOTS", "2.5"),
    ("REGISTER_WARM", "off"),
    # A URL where the host name goes: the warmed pages were kept under a Host no visitor
    # sends, so none of them was ever found, without a word.
    ("REGISTER_PUBLIC_HOST", "https://register.example.org/"),
]


@pytest.mark.parametrize(("name", "value"), BAD)
def test_serve_refuses_a_mistyped_setting_in_one_line(name, value, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(name, value)
    code = serve.main(["--build-dir", str(tmp_path), "--no-rebuild", "--check-only"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"{name}={value!r} is ") and "docs/settings.md" in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(("name", "value"), BAD[:5])
def test_the_plugins_read_by_uvicorn_say_it_too(name, value):
    # register.site.asgi (uvicorn --workers) loads the plugins without serve.main: the
    # modules that read the numbers at import say the same sentence.
    code = "import register.site.cache, register.site.sql_guard"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path), name: value}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"{name}={value!r} is "), done.stderr
    assert "Traceback" not in done.stderr


def test_good_values_are_taken(monkeypatch):
    from register import settings

    monkeypatch.setenv("REGISTER_CACHE_MB", " 0.5 ")
    monkeypatch.setenv("REGISTER_PAGE_SLOTS", "8")
    monkeypatch.setenv("REGISTER_WARM", "0")
    assert settings.number(settings.CACHE_MB) == 0.5
    assert settings.number(settings.PAGE_SLOTS, minimum=1, whole=True) == 8
    assert settings.switch(settings.WARM) is False
    monkeypatch.setenv("REGISTER_PUBLIC_HOST", "coproduction-register.fly.dev")
    assert settings.host_name(settings.PUBLIC_HOST) == "coproduction-register.fly.dev"
    settings.serving()


def test_a_mistyped_register_root_is_said_before_anything_is_made(tmp_path):
    # REGISTER_ROOT naming no register made nope/build/ there, tried to rebuild it and
    # ended in a traceback about nope/datapackage.json.
    nope = tmp_path / "nope"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path), "REGISTER_ROOT": str(nope)}
    done = subprocess.run(
        [sys.executable, "-m", "register.site.serve", "--check-only"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"Not serving: {nope} is not a copy of the register (that folder does not exist). Set REGISTER_ROOT "
        "(or --root) to the folder holding its datapackage.json, or leave it unset for the checkout this "
        "package was installed from.\n"
    )
    assert not nope.exists()


def test_a_root_that_is_not_a_register_is_refused(tmp_path, capsys):
    code = serve.main(["--root", str(tmp_path), "--build-dir", str(tmp_path / "build"), "--check-only"])
    assert code == 2
    assert "has no datapackage.json" in capsys.readouterr().err
    assert not (tmp_path / "build").exists()
