"""Every command's --help says what it does in whole sentences: the first paragraph of its
module's docstring, not its first line, which often stops mid-sentence."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from register.util.text import first_paragraph

SRC = Path(__file__).resolve().parents[2] / "src"
COMMANDS = sorted(
    ".".join(p.relative_to(SRC).with_suffix("").parts)
    for p in (SRC / "register").rglob("*.py")
    if re.search(r"= command_parser\(\s*__spec__", p.read_text("utf-8"))  # register/util/text.py
)


def test_first_paragraph_joins_the_lines_of_the_first_paragraph():
    doc = "`make x`: do this to the\nregister, all of it.\n\nMore here.\n"
    assert first_paragraph(doc) == "`make x`: do this to the register, all of it."


def test_every_module_run_as_a_command_reads_its_arguments():
    """`python -m register.bench.bench --help` started the whole bench (and left its server
    running when stopped), and `python -m register.bench.lighthouse --help` reinstalled the
    Node packages: neither read its arguments. Every module that runs as a command parses
    them, so --help prints help and a stray argument is refused before anything runs."""
    runnable = sorted(
        ".".join(p.relative_to(SRC).with_suffix("").parts)
        for p in (SRC / "register").rglob("*.py")
        if 'if __name__ == "__main__":' in p.read_text("utf-8")
    )
    assert {"register.bench.bench", "register.site.serve"} <= set(runnable)
    unread = sorted(set(runnable) - set(COMMANDS))
    assert not unread, f"these run as commands without reading their arguments: {unread}"


def test_the_commands_are_found():
    assert {"register.publishing.publish", "register.staff.append", "register.site.serve"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_help_describes_the_command_in_whole_sentences(name, capsys):
    module = importlib.import_module(name)
    with pytest.raises(SystemExit) as ended:
        module.main(["--help"])
    assert ended.value.code == 0
    out = capsys.readouterr().out
    # "usage: build.py" named a file two modules share, and one that cannot be run alone.
    assert out.startswith(f"usage: python -m {name} "), f"{name}'s usage line: {out.splitlines()[0]}"
    description = " ".join(out.split("\n\n")[1].split())
    assert description.endswith((".", "?")), f"python -m {name} --help stops mid-sentence: {description}"


# The build's second process, started only by the build with every option (its epilog says so).
BUILD_ONLY = {"register.database.search"}


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - BUILD_ONLY))
def test_help_says_what_every_option_is(name, monkeypatch):
    """`python -m register.site.serve --help` listed --build-dir, --host and --port with
    nothing beside them: not what each is, nor its default."""
    import argparse

    parsers = []
    parse = argparse.ArgumentParser.parse_args

    def kept(self, *args, **kwargs):
        parsers.append(self)
        return parse(self, *args, **kwargs)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", kept)
    with pytest.raises(SystemExit):
        importlib.import_module(name).main(["--help"])
    bare = [a.option_strings[-1] if a.option_strings else a.dest for a in parsers[0]._actions if not a.help]
    assert not bare, f"python -m {name} --help says nothing of {bare}"


def test_help_of_every_make_target_command_says_which_target_it_is(capsys):
    """`python -m register.site.serve --help` described the module ("How the register is
    served: one place for Datasette's settings ...") and never said that it serves the
    register, nor that it is `make serve`. Each command a make target runs opens its
    description with that target, as `make build`'s and the rest do."""
    import re

    makefile = (SRC.parent / "Makefile").read_text("utf-8")
    recipes = re.findall(r"^([a-z][a-z-]*):[^\n]*\n((?:\t[^\n]*\n)+)", makefile, re.M)
    by_target = {}
    for target, recipe in recipes:
        for module in re.findall(r"\$\(PY\) -m (register(?:\.\w+)+)", recipe):
            by_target.setdefault(module, target)
    assert by_target["register.site.serve"] == "serve"
    silent = []
    for module, target in sorted(by_target.items()):
        with pytest.raises(SystemExit):
            importlib.import_module(module).main(["--help"])
        description = " ".join(capsys.readouterr().out.split("\n\n")[1].split())
        if not description.startswith(f"`make {target}"):
            silent.append(f"{module} (make {target})")
    assert not silent, f"--help does not name the make target that runs it: {silent}"


def test_a_command_run_by_its_file_path_still_prints_its_help():
    """Run as `python src/register/database/build.py --help` a module has no __spec__: its
    help is printed under argparse's own name, not replaced by an error."""
    import subprocess
    import sys

    from register.util.text import command_name

    assert command_name(None) is None
    done = subprocess.run(
        [sys.executable, str(SRC / "register" / "database" / "build.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: build.py ") and "`make build`" in done.stdout


# The bench (measurement, for developers) and the build's own second process.
UNGUARDED = {"register.database.search"} | {c for c in COMMANDS if c.startswith("register.bench.")}


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - UNGUARDED))
def test_every_command_people_run_ends_an_unforeseen_error_in_one_sentence(name):
    # The site, the integrity check, publishing and deriving datapackage.json ended an
    # error nobody foresaw in a traceback; the staff and build commands in one sentence.
    main = importlib.import_module(name).main
    assert getattr(main, "__wrapped__", None) is not None, f"{name}.main is not guarded by plain_errors"
