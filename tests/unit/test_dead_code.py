"""Code nothing calls: every function, class and method of the register's package is
named somewhere else in the project (its modules, the plugins, the notebooks, the
templates, the Makefile or the site metadata). Tests do not count: code only a test
calls is not part of the register."""

from __future__ import annotations

import ast
import re
from collections import Counter

from register.schema.package import ROOT

PACKAGE = ROOT / "src" / "register"
# Called by a library by its name alone (traitlets' _<trait>_default, IPython's _repr_html_).
CALLED_BY_NAME = {"_repr_html_", "_ip_default"}
# Unused, in a part of the code being changed separately: remove it from here with it.
KNOWN_UNUSED = {"hashed_path"}
# Decorators that do not register what they decorate: a function under any other (a
# Datasette hook, a route, a traitlets default) is called through its decorator.
PLAIN = {"property", "staticmethod", "classmethod", "cached_property", "dataclass", "contextmanager"}


def project_words() -> Counter:
    paths = [*ROOT.joinpath("src").rglob("*.py"), *ROOT.joinpath("plugins").glob("*.py")]
    paths += [*ROOT.joinpath("notebooks").glob("*.py"), *ROOT.joinpath("templates").rglob("*.html")]
    paths += [ROOT / "Makefile", ROOT / "pyproject.toml", ROOT / "metadata.yml"]
    return Counter(w for p in paths for w in re.findall(r"\w+", p.read_text("utf-8")))


def definitions() -> list[tuple[str, int, str]]:
    """(file, line, name) of every function, class and method not registered by a decorator."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            decorators = {ast.unparse(d).rpartition(".")[2] for d in node.decorator_list}
            if decorators - PLAIN or (node.name.startswith("__") and node.name.endswith("__")):
                continue
            found.append((str(path.relative_to(ROOT)), node.lineno, node.name))
    return found


def unused(defined: list[tuple[str, int, str]], words: Counter) -> list[str]:
    """Those named only where they are defined."""
    return [f"{path}:{line} {name}" for path, line, name in defined if words[name] < 2]


def test_every_function_and_class_is_used():
    found = [u for u in unused(definitions(), project_words()) if u.split()[-1] not in CALLED_BY_NAME | KNOWN_UNUSED]
    assert not found, "defined but named nowhere else in the project (remove them):\n  " + "\n  ".join(found)


def test_the_exceptions_are_still_there_and_still_unused():
    defined, words = definitions(), project_words()
    names = {n for _, _, n in defined}
    for name in sorted(KNOWN_UNUSED | CALLED_BY_NAME):
        assert name in names, f"{name} is gone: take it out of this test"
        assert words[name] == 1, f"{name} is named elsewhere now: take it out of this test"


def test_a_function_nothing_calls_is_found():
    defined = [("src/register/x.py", 3, "never_called"), ("src/register/x.py", 9, "called")]
    words = Counter({"never_called": 1, "called": 2})  # each named once where it is defined
    assert unused(defined, words) == ["src/register/x.py:3 never_called"]
