"""Every command's --help says what it does in whole sentences: the first paragraph of its
module's docstring, not its first line, which often stops mid-sentence."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from register.util.text import first_paragraph

SRC = Path(__file__).resolve().parents[2] / "src"
COMMANDS = sorted(
    ".".join(p.relative_to(SRC).with_suffix("").parts)
    for p in (SRC / "register").rglob("*.py")
    if "argparse.ArgumentParser(" in p.read_text("utf-8")
)


def test_first_paragraph_joins_the_lines_of_the_first_paragraph():
    doc = "`make x`: do this to the\nregister, all of it.\n\nMore here.\n"
    assert first_paragraph(doc) == "`make x`: do this to the register, all of it."


def test_the_commands_are_found():
    assert {"register.publishing.publish", "register.staff.append", "register.site.serve"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_help_describes_the_command_in_whole_sentences(name, capsys):
    module = importlib.import_module(name)
    with pytest.raises(SystemExit) as ended:
        module.main(["--help"])
    assert ended.value.code == 0
    description = " ".join(capsys.readouterr().out.split("\n\n")[1].split())
    assert description.endswith((".", "?")), f"python -m {name} --help stops mid-sentence: {description}"
