"""The README and docs/ say only what is true of the repository as it is.

Every `make` target they mention exists, every file they cite is in the repository (or
is one the build writes), every `python -m register.…` module imports, and docs/settings.md
lists exactly the variables of register.settings with their defaults, which only that
module reads.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

from register import settings
from register.publishing.extract_tables import tables
from register.schema import standard
from register.schema.package import Package
from register.staff import attest, update_status

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 230

# What `make install`, the build and the other targets write (never in git), as the docs
# cite them. Each is checked against the code that writes it, so the list cannot go stale.
GENERATED = {
    ".venv/": "Makefile",
    "build": "Makefile",
    "build/register.db": "src/register/database/integrity.py",
    "build/metadata.json": "src/register/schema/metadata.py",
    "build/inspect.json": "src/register/database/build.py",
    "build/appended.json": "src/register/database/known_rows.py",
    "build/.register.db.spare": "src/register/database/spare.py",
    "build/.register.db.pages.json": "src/register/database/page_record.py",
    "build/extracts/": "Makefile",
    "build/reports/": "Makefile",
    "build/releases/": "src/register/publishing/release_store.py",
    "build/templates/": "src/register/staff/template.py",
    "build/synthetic/": "src/register/bench/generate.py",
    "build/bench/": "src/register/bench/bench.py",
    "build/national/": "src/register/national/build.py",
}

# Bare names that can only mean a file at the repository's root.
ROOT_FILE = r"Dockerfile|Makefile|[\w-]+\.(?:toml|yml|in|txt|ini)|\.[a-z]+ignore|datapackage\.json"
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def text(doc: Path) -> str:
    return doc.read_text("utf-8")


def code(doc: Path) -> list[str]:
    """Every code span and fenced block of a document: where commands and paths are cited."""
    body = text(doc)
    return FENCE.findall(body) + CODE_SPAN.findall(FENCE.sub("", body))


def make_targets() -> set[str]:
    """The targets `make help` lists (the same pattern the Makefile's help target uses)."""
    makefile = (ROOT / "Makefile").read_text("utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):.*## ", makefile, re.M))


def cited_targets(doc: Path) -> set[str]:
    found = set()
    for snippet in code(doc):
        for line in snippet.splitlines():
            command = r"(?:^|[;&]|^\$ |^(?:[A-Z_]+=\S+ )+)\s*make"  # a command, not the word in prose
            for m in re.finditer(command + r"((?: +[a-z][a-z-]*\b(?![=/.]))+)", line.split(" #")[0].strip()):
                found.update(m.group(1).split())
    return found


def cited_paths(doc: Path) -> set[tuple[str, Path]]:
    """(as written, resolved) for each relative path in a code span (from the repository
    root) or a link (from the document's folder). Other bare file names are not paths."""
    out = set()
    for span in CODE_SPAN.findall(FENCE.sub("", text(doc))):
        if re.fullmatch(r"\.?[A-Za-z_][\w.-]*(/[\w.*<>-]*)+|" + ROOT_FILE, span):
            out.add((span, ROOT / span))
    for target in LINK.findall(text(doc)):
        if not re.match(r"[a-z]+:|#|/", target):
            path = target.split("#")[0]
            out.add((path, doc.parent / path))
    return out


def exists(written: str, path: Path) -> bool:
    rel = path.resolve().relative_to(ROOT).as_posix() if path.resolve().is_relative_to(ROOT) else written
    if rel.split("/")[0] in {out.split("/")[0] for out in GENERATED}:
        return any(
            rel.rstrip("/") == out.rstrip("/") or (out.endswith("/") and rel.startswith(out)) for out in GENERATED
        )
    if "<" in rel or "*" in rel:
        return any(ROOT.glob(re.sub(r"<[^>]+>", "*", rel)))
    return path.exists()


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.relative_to(ROOT).as_posix())
def test_every_make_target_cited_is_real(doc):
    cited = cited_targets(doc)
    unknown = sorted(cited - make_targets())
    assert not unknown, f"{doc.name} cites `make {' '.join(unknown)}`, which the Makefile does not define"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.relative_to(ROOT).as_posix())
def test_every_file_cited_is_in_the_repository(doc):
    missing = sorted(written for written, path in cited_paths(doc) if not exists(written, path))
    assert not missing, f"{doc.name} cites paths that are not in the repository: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.relative_to(ROOT).as_posix())
def test_every_module_cited_can_be_run(doc):
    modules = set(re.findall(r"python -m (register(?:\.\w+)+)", text(doc)))
    missing = sorted(m for m in modules if importlib.util.find_spec(m) is None)
    assert not missing, f"{doc.name} cites modules that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.relative_to(ROOT).as_posix())
def test_nothing_the_docs_say_to_install_is_already_a_requirement(doc):
    """`make install` installs requirements.in; a guide that says to pip install one of
    them (or says it is missing) is out of date."""
    wanted = {
        re.split(r"[\s=<>\[#]", line.strip(), maxsplit=1)[0].lower()
        for line in (ROOT / "requirements.in").read_text("utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    told = {name.lower() for name in re.findall(r"pip\s+install\s+([A-Za-z0-9_.-]+)", text(doc))}
    assert not told & wanted, f"{doc.name} says to pip install {sorted(told & wanted)}, which make install installs"


def test_the_checks_see_what_the_docs_cite():
    readme = ROOT / "README.md"
    assert {"serve", "test", "help"} <= cited_targets(readme)
    assert ("docs/staff-guide.md", ROOT / "docs/staff-guide.md") in cited_paths(readme)
    assert not exists("docs/no-such-page.md", ROOT / "docs/no-such-page.md")
    assert not exists("build/not-written.db", ROOT / "build/not-written.db")


@pytest.mark.parametrize("output,writer", GENERATED.items())
def test_the_build_outputs_listed_are_written_by_the_code(output, writer):
    name = output.rstrip("/").removeprefix("build/")
    assert name
    assert name in (ROOT / writer).read_text("utf-8"), f"{writer} does not mention {name}"


def test_the_readme_is_short():
    lines = len(text(ROOT / "README.md").splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move detail into docs/"


def documented_settings() -> dict[str, str]:
    rows = re.findall(r"^\| `(REGISTER_\w+)` \| ([^|]*) \|", text(ROOT / "docs/settings.md"), re.M)
    return {name: ("" if default.strip() == "(empty)" else default.strip().strip("`")) for name, default in rows}


def test_settings_page_lists_every_variable_with_its_default():
    documented = {name: s.default for name, s in settings.SETTINGS.items()}
    assert documented_settings() == documented, "docs/settings.md differs from register.settings.SETTINGS"


def test_every_variable_the_docs_mention_is_a_setting():
    for doc in DOCS:
        unknown = set(re.findall(r"\bREGISTER_[A-Z_]*[A-Z]\b", text(doc))) - set(settings.SETTINGS)
        assert not unknown, f"{doc.name} mentions {sorted(unknown)}, which register.settings does not define"


def environment_reads(source: str) -> list[str]:
    """REGISTER_* names a module reads from the environment itself (reads, not writes)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        key = None
        if isinstance(node, ast.Call) and node.args:
            func = ast.unparse(node.func)
            if func.endswith(("environ.get", "getenv", "environ.pop", "environ.setdefault")):
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ"):
            key = node.slice
        elif isinstance(node, ast.Compare) and any(ast.unparse(c).endswith("environ") for c in node.comparators):
            key = node.left
        if isinstance(key, ast.Constant) and str(key.value).startswith("REGISTER_"):
            names.append(key.value)
    return names


def test_only_the_settings_module_reads_register_variables():
    sample = 'import os\nos.environ.get("REGISTER_X")\nos.environ["REGISTER_Y"]\n"REGISTER_Z" in os.environ\n'
    assert environment_reads(sample) == ["REGISTER_X", "REGISTER_Y", "REGISTER_Z"]
    modules = [*(ROOT / "src/register").rglob("*.py"), *(ROOT / "plugins").glob("*.py")]
    assert len(modules) > 20
    readers = {
        str(m.relative_to(ROOT)): reads
        for m in modules
        if m != ROOT / "src/register/settings.py" and (reads := environment_reads(m.read_text("utf-8")))
    }
    assert not readers, f"read these through register.settings instead: {readers}"


def test_downloads_lists_every_table_of_the_extracts():
    """docs/downloads.md names every <table> of the downloads, in the data package's order:
    its resources, the codelists among them, then the exported views."""
    body = text(ROOT / "docs/downloads.md")
    paragraph = body[body.index("`<table>` is any resource") :].split("\n\n", 1)[0]
    resources, _, views = paragraph.partition("plus the view")
    named = [n for n in CODE_SPAN.findall(resources) if n not in ("<table>", "datapackage.json")]
    codelists = [n for n in CODE_SPAN.findall(resources.partition("the codelists")[2])]
    package = Package(ROOT)
    extracted = tables(package)
    assert named == [t.name for t in extracted if not t.is_view]
    assert codelists == [r.name for r in package.resources if "/codelists/" in r.descriptor["path"]]
    exported_views = [t.name for t in extracted if t.is_view]
    assert CODE_SPAN.findall(views)[: len(exported_views)] == exported_views


# Where the docs show the standard's current version: the validator's first line, and the
# declaration a publisher's datapackage.json carries (as register.schema.datapackage writes it).
CURRENT_VERSION = (
    r"Checked against the Co-production Register standard (\d+\.\d+\.\d+)",
    r'"x-register-standard": "(\d+\.\d+\.\d+)"',
)


def test_the_docs_show_the_standards_current_version():
    version = standard.load(ROOT / "schemas").version
    shown = {
        (doc.name, found) for doc in DOCS for pattern in CURRENT_VERSION for found in re.findall(pattern, text(doc))
    }
    assert {name for name, _ in shown} >= {"publishing.md", "national.md", "staff-guide.md"}
    stale = sorted(f"{name}: {found}" for name, found in shown if found != version)
    assert not stale, f"the standard is {version}; these docs show another version as its current one: {stale}"


def test_make_help_says_which_targets_take_another_package():
    """docs/publishing.md runs these with ROOT=path/to/package; `make help` says they take it."""
    makefile = (ROOT / "Makefile").read_text("utf-8")
    described = dict(re.findall(r"^([a-z][a-z-]*):.*## (.*)$", makefile, re.M))
    steps = re.findall(r"^\s*make ([a-z-]+) ROOT=path/to/package", text(ROOT / "docs/publishing.md"), re.M)
    assert {"validate", "build", "extracts", "report", "serve"} <= set(steps)
    silent = sorted(t for t in steps if "ROOT=" not in described[t])
    assert not silent, f"make help does not say that these take ROOT=: {silent}"


def test_the_readme_names_every_set_up_script():
    line = next(x for x in text(ROOT / "README.md").splitlines() if x.startswith("scripts/ "))
    scripts = sorted(p.name.removeprefix("install-") for p in (ROOT / "scripts").glob("install-*"))
    assert len(scripts) >= 5
    unnamed = [s for s in scripts if s not in line.lower()]
    assert not unnamed, f"README.md's scripts/ line does not name {unnamed}"


def test_the_readme_describes_every_subpackage():
    described = set(re.findall(r"^\| `(\w+)`(?:, `(\w+)`)? \|", text(ROOT / "README.md"), re.M))
    named = {n for pair in described for n in pair if n}
    packages = {p.parent.name for p in (ROOT / "src/register").glob("*/__init__.py")}
    assert len(packages) >= 8
    assert packages <= named, f"README.md's table of src/register/ lacks {sorted(packages - named)}"


def test_every_variable_given_to_make_in_the_docs_is_one_the_makefile_reads():
    makefile = (ROOT / "Makefile").read_text("utf-8")
    read = set(re.findall(r"\$\(([A-Z_]+)\)|\$\$([A-Z_]+)\b", makefile))
    read = {n for pair in read for n in pair if n}
    read |= set(re.search(r"STAFF_VARS := ([A-Z_ \\\n]+)", makefile).group(1).replace("\\", " ").split())
    given = {
        (doc.name, name)
        for doc in DOCS
        for command in re.findall(r"make [a-z-]+((?: [A-Z_]+=(?:\"[^\"]*\"|[^ `]*))+)", text(doc))
        for name in re.findall(r" ([A-Z_]+)=", command)
    }
    assert ("staff-guide.md", "ALLOW_DUPLICATES") in given or ("README.md", "PORT") in given
    unknown = sorted(f"{doc}: {name}=" for doc, name in given if name not in read)
    assert not unknown, f"the docs give make variables the Makefile never reads: {unknown}"


def test_the_counts_the_staff_guide_shows_are_the_registers():
    """The example output of `make validate`, `make template` and `make add` in the staff
    guide counts what the data package holds."""
    guide = text(ROOT / "docs/staff-guide.md")
    package = Package(ROOT)
    resources = re.search(r"Valid: (\d+) resources checked", guide).group(1)
    assert int(resources) == len(package.resources)
    columns = re.search(r"a template for Co-production log \((\d+) columns\)", guide).group(1)
    assert int(columns) == len(package.resource("coproduction_log").fields)
    questions = set(re.findall(r"^\(\d+/(\d+)\) ", guide, re.M))
    assert questions == {str(len(package.resource("you_said_we_did").fields))}


def test_make_national_runs_what_national_md_says_writes_the_downloads_and_report():
    """docs/national.md lists the commands that write the national register's downloads and
    report; `make national` runs each of them, so the job in docs/deployment.md that runs
    `make national` deploys them, and no site serves downloads of an earlier merge."""
    national = text(ROOT / "docs/national.md")
    after = FENCE.findall(national.split("are written from", 1)[1])[0]
    commands = {" ".join(line.removeprefix(".venv/bin/").split()) for line in after.splitlines()[1:-1] if line}
    assert len(commands) == 2
    makefile = (ROOT / "Makefile").read_text("utf-8")
    recipe = makefile.split("\nnational:", 1)[1].split("\n\n", 1)[0]
    recipe = recipe.replace("$(PY)", "python").replace("$(NATIONAL)", "build/national").replace("@", "")
    runs = {" ".join(re.sub(r'--([a-z-]+)="([^"]*)"', r"--\1 \2", line).split()) for line in recipe.splitlines()}
    missing = sorted(c for c in commands if c not in runs)
    assert not missing, f"make national does not run {missing}"
    production = " ".join(text(ROOT / "docs/deployment.md").split("## The national register in production")[1].split())
    assert "make national REGISTRY=registry.csv` (which also writes its downloads and its impact report)" in production


def help_options(target: str) -> tuple[set[str], set[str]]:
    """The options `make help` gives a target: (required, [optional])."""
    makefile = (ROOT / "Makefile").read_text("utf-8")
    line = re.search(rf"^{target}:.*## (.*)$", makefile, re.M).group(1)
    optional = set(re.findall(r"\[([A-Z_]+)=", line))
    return set(re.findall(r"(?<![\[|A-Z_])([A-Z_]+)=", line)) - optional, optional


def test_make_help_marks_optional_what_the_staff_commands_do_not_require():
    required, optional = help_options("attest")
    assert required == {"UPDATE", *attest.REQUIRED}
    assert optional == set(attest.FIELDS) - set(attest.REQUIRED) - {"UPDATE", "LOG"} | {"ALLOW_DUPLICATES"}
    required, optional = help_options("update-status")
    assert set(update_status.REQUIRED) <= required and not optional & set(update_status.REQUIRED)


def test_the_readme_names_the_python_the_package_requires():
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    required = re.search(r'requires-python = ">=(\d+\.\d+)"', pyproject).group(1)
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert f"sys.version_info < ({required.replace('.', ', ')})" in makefile
    assert f"`python3` ({required} or newer" in text(ROOT / "README.md")


def test_the_readmes_table_of_targets_has_every_target():
    readme = text(ROOT / "README.md")
    section = readme.split("## Every target", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    listed = set(re.findall(r"`make ([a-z-]+)", table))
    missing = sorted(make_targets() - listed)
    assert not missing, f"README.md's table of targets lacks {missing}"


def staff_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    staff = set(re.findall(r"^([a-z-]+):.*\n\t@\$\(PY\) -m register\.staff\.", makefile, re.M))
    assert {"append", "correct", "template"} <= staff
    return staff


def test_security_md_puts_every_staff_command_in_scope():
    scope = text(ROOT / "SECURITY.md").split("The staff commands (", 1)[1].split(")", 1)[0]
    missing = sorted(staff_targets() - set(re.findall(r"`make ([a-z-]+)`", scope)))
    assert not missing, f"SECURITY.md's staff commands in scope lack {missing}"


def test_the_privacy_promise_names_every_command_that_writes_free_text():
    """Every staff command but the template writes records, and each runs the privacy gate."""
    promise = " ".join(text(ROOT / "docs/security.md").split("Free text is refused, by", 1)[1].split(" alike")[:1])
    missing = sorted(staff_targets() - {"template"} - set(re.findall(r"`make ([a-z-]+)`", promise)))
    assert not missing, f"docs/security.md's privacy promise does not name {missing}"


def test_security_md_removes_personal_data_as_the_staff_guide_does():
    security = " ".join(text(ROOT / "SECURITY.md").split())
    assert "PERSONAL_DATA=yes" in security and "git history" in security
    anchors = re.findall(r"docs/staff-guide\.md#([a-z-]+)", security)
    headings = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.*)$", text(ROOT / "docs/staff-guide.md"), re.M)
    }
    assert anchors and set(anchors) <= headings


def test_settings_page_lists_every_bench_variable():
    read = set(re.findall(r"\bBENCH_[A-Z_]*[A-Z]\b", (ROOT / "Makefile").read_text("utf-8")))
    for module in (ROOT / "src/register/bench").glob("*.py"):
        read |= set(re.findall(r"\bBENCH_[A-Z_]*[A-Z]\b", module.read_text("utf-8")))
    assert len(read) >= 5
    missing = sorted(read - set(re.findall(r"`(BENCH_[A-Z_]+)`", text(ROOT / "docs/settings.md"))))
    assert not missing, f"docs/settings.md does not list {missing}"


# A module or test named in the code's own comments and docstrings, where the docs' checks
# above do not look: "(register/database/deadlines.py)", "tests/unit/test_drift.py holds ...".
CODE_CITES = re.compile(r"\b(?:src/)?register/[\w/]+\.(?:py|sql)\b|\btests/[\w/]+\.py\b")


def cited_in_code(body: str) -> set[str]:
    """The files a source text names, each as a path from the repository root."""
    return {c if c.startswith(("src/", "tests/")) else f"src/{c}" for c in CODE_CITES.findall(body)}


def test_every_file_the_code_cites_is_in_the_repository():
    sources = [*(ROOT / "src" / "register").rglob("*.py"), *(ROOT / "src" / "register").rglob("*.sql")]
    sources += [*(ROOT / "plugins").glob("*.py"), *(ROOT / "notebooks").glob("*.py")]
    sources += [ROOT / "Makefile", ROOT / "metadata.yml"]
    missing = sorted(
        f"{path.relative_to(ROOT)} cites {cited}"
        for path in sources
        for cited in cited_in_code(path.read_text("utf-8"))
        if not (ROOT / cited).exists()
    )
    assert not missing, "the code names files that are not in the repository:\n  " + "\n  ".join(missing)


def test_a_cited_file_is_read_as_a_path_from_the_root():
    body = "(register/database/deadlines.py); src/register/site/x.py and tests/unit/test_drift.py hold it"
    assert cited_in_code(body) == {
        "src/register/database/deadlines.py",
        "src/register/site/x.py",
        "tests/unit/test_drift.py",
    }


def test_register_today_is_said_to_move_only_what_it_moves(monkeypatch):
    """REGISTER_TODAY moves the checks' and staff commands' day, not the impact report's
    overdue items (worked out in SQL from the clock): its meaning must not promise
    reproducible reports, and the report's day must indeed ignore it."""
    from register.publishing import report

    meaning = settings.TODAY.meaning
    assert "reproducible reports" not in meaning
    assert "The site, the downloads and the impact report never read it" in meaning
    monkeypatch.setenv("REGISTER_TODAY", "2001-01-01")
    assert report.today() != "2001-01-01"
    assert "| `TZ` |" in (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")


def test_the_citation_downloads_md_shows_is_the_one_the_site_gives():
    """docs/downloads.md showed "<title>, <publisher>, release ..." while the pages, the
    workbook and the report cite "<publisher> (<year>). <title>, release <release>. <address>"."""
    from register.site.releases import citation

    body = " ".join(text(ROOT / "docs" / "downloads.md").split())
    shown = re.search(r'\*\*Citation\*\*: `([^`]+)`, .*?for example "([^"]+)"', body)
    assert shown, "docs/downloads.md gives no citation with an example"
    release, address = "2026-12-01-b863b15", "https://register.example.org/releases/2026-12-01-b863b15"
    descriptor = Package(ROOT).descriptor
    assert shown.group(2) == citation(descriptor, release, address)
    pattern = {"<publisher>": descriptor["publisher"], "<year>": "2026", "<title>": descriptor["title"]}
    pattern |= {"<release>": release, "<address>": address}
    assert re.sub("|".join(map(re.escape, pattern)), lambda m: pattern[m.group()], shown.group(1)) == shown.group(2)


def test_publishing_md_keeps_the_sources_the_shared_codelists_cite(tmp_path):
    """Step 3 of docs/publishing.md, as written: North Cumbria's package copied, every table
    of records emptied but for its header, but sources.csv kept. That package is valid;
    emptying sources.csv too, as 'each table of records' alone would have it, is not."""
    import shutil

    from register.checks.validate import validate

    step = text(ROOT / "docs/publishing.md").split("3. ", 1)[1].split("4. ", 1)[0]
    assert "all but `datasets/sources.csv`" in step
    package_dir = tmp_path / "package"
    shutil.copytree(ROOT / "publishers/north-cumbria", package_dir, symlinks=False)
    package = Package(package_dir)
    records = [r for r in package.resources if r.path.parent == package_dir / "datasets"]
    assert "sources" in {r.name for r in records}
    for res in records:
        if res.name != "sources":
            res.path.write_text(res.path.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    assert validate(Package(package_dir)) == []
    sources = package.resource("sources").path
    sources.write_text(sources.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    assert validate(Package(package_dir)), "a package whose sources.csv was emptied was valid"


def test_deployment_says_where_the_logs_go_and_which_path_is_the_health_check():
    """Whoever runs the site needs to know where requests and faults are logged, that a
    request line is personal data, and which address to give a host's health check: the
    one the Dockerfile and fly.toml use."""
    text = (ROOT / "docs" / "deployment.md").read_text("utf-8")
    section = text.split("## Running it: start, stop, logs and the health check", 1)[1].split("\n## ", 1)[0]
    section = " ".join(section.split())
    for said in ("standard output", "standard error", "personal data", "IP address", "SIGTERM", "--no-access-log"):
        assert said in section, said
    health = re.search(r"\*\*Health check\*\*: `GET (\S+)`", section)[1]
    assert f"127.0.0.1:%s{health}" in (ROOT / "Dockerfile").read_text("utf-8")
    assert f'path = "{health}"' in (ROOT / "fly.toml").read_text("utf-8")


def test_make_help_for_lint_names_every_check_it_runs():
    """`make help` said lint was ruff and the import-layer contract; it also checks the
    GitHub workflows against their schema, which a contributor meets when it fails."""
    makefile = (ROOT / "Makefile").read_text("utf-8")
    said = re.search(r"^lint:.*## (.*)$", makefile, re.M).group(1)
    recipe = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    tools = re.findall(r"\$\(BIN\)/([\w-]+)", recipe)
    assert {"ruff", "lint-imports", "check-jsonschema"} <= set(tools)
    named = {"ruff": "ruff", "lint-imports": "import-layer contract", "check-jsonschema": "workflows"}
    unsaid = sorted(t for t in set(tools) if named.get(t, t) not in said)
    assert not unsaid, f"make help's line for lint does not say it runs {unsaid}"


def test_the_readme_tells_a_contributor_what_checks_a_pull_request():
    """A developer who came to contribute a fix found no word on how a change is proposed
    or checked. README.md's "Contributing a fix" says which workflow runs on a pull request
    and the commands it runs, as .github/workflows/check.yml has them."""
    readme = text(ROOT / "README.md")
    assert "## Contributing a fix" in readme
    section = readme.split("## Contributing a fix", 1)[1].split("\n## ", 1)[0]
    workflow = (ROOT / ".github/workflows/check.yml").read_text("utf-8")
    assert "pull_request:" in workflow and "`.github/workflows/check.yml`" in section
    runs = re.findall(r"^\s*run: (.+)$", workflow, re.M)
    assert runs
    unsaid = [r for r in runs if f"`{r.strip()}`" not in " ".join(section.split())]
    assert not unsaid, f"README.md's Contributing a fix does not say a pull request runs {unsaid}"
    assert {"format", "lint"} <= cited_targets(ROOT / "README.md")


def test_settings_page_lists_every_other_variable_the_code_reads():
    """CHROME_PATH, which `make bench` reads to find the browser Lighthouse and pa11y
    drive, was in no list of the variables the commands read."""
    page = text(ROOT / "docs/settings.md")
    table = page.split("## Other variables", 1)[1]
    listed = {name for row in re.findall(r"^\| ([^|]+) \|", table, re.M) for name in re.findall(r"`([A-Z_]+)`", row)}
    modules = [*(ROOT / "src/register").rglob("*.py"), *(ROOT / "plugins").glob("*.py")]
    read = {
        name
        for m in modules
        for pair in re.findall(
            r"(?:environ\.get|getenv)\(\s*\"([A-Z_]+)\"|environ\[\"([A-Z_]+)\"\]", m.read_text("utf-8")
        )
        for name in pair
        if name and not name.startswith("REGISTER_")
    }
    assert {"PORT", "TZ", "BENCH_SIZES"} <= read
    unlisted = sorted(read - listed)
    assert not unlisted, f"docs/settings.md's Other variables does not list {unlisted}"


def test_the_readmes_licence_names_the_codes_licence_as_pyproject_declares_it():
    """README.md's Licence gave the data's licence only; a developer who would reuse or
    contribute code found its licence (MIT) only in pyproject.toml."""
    declared = re.search(r'^license = "([^"]+)"', (ROOT / "pyproject.toml").read_text("utf-8"), re.M).group(1)
    licence = text(ROOT / "README.md").split("## Licence", 1)[1]
    assert "Open Government Licence v3.0" in licence and "OGL-UK-3.0" in declared
    code = [x for x in declared.split(" AND ") if x != "OGL-UK-3.0"]
    assert code and all(f"Code: {x}" in licence for x in code), f"README.md's Licence does not give {code}"


def test_the_licence_file_holds_the_mit_text_the_package_declares():
    """MIT asks that its text travel with the code: a clone or a wheel carries LICENSE,
    which names the data's licence too (the package metadata points at both)."""
    declared = re.search(r'^license = "([^"]+)"', (ROOT / "pyproject.toml").read_text("utf-8"), re.M).group(1)
    assert "MIT" in declared.split(" AND ")
    licence = (ROOT / "LICENSE").read_text("utf-8")
    assert licence.startswith("MIT License\n") and "Permission is hereby granted, free of charge" in licence
    assert "Open Government Licence v3.0" in licence
