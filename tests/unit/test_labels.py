"""Drift: the public site calls a field by its title in its schema, and writes no title out.

A field's title lives in its schema (schemas/*.json, schemas/views/*.json; a view that is
not exported has its column text in metadata.yml). The designed pages read it with the
Jinja global `field_title(table, column)` and the Atom feeds with
register/site/links.py field_title, so a label cannot differ from its schema; these
tests fail when a page or a feed writes a label out instead, when `field_title` names a
column no schema has, and when metadata.yml labels a view's column that carries a
table's field with anything but that field's title.

The titles are read from the JSON files directly (tests/schema_text.py).
"""

from __future__ import annotations

import re

import pytest
import yaml

from register.schema.package import ROOT
from tests.schema_text import SCHEMAS, raw, raw_field, view_columns_text

TEMPLATES = ROOT / "templates" / "register"
# The national register's page about its publishers: its labels are the registry's
# (src/register/national), not fields of a register's tables.
NOT_RECORD_PAGES = {"publishers.html"}

# Labels the designed pages write out because they are not one field: figures over many
# records, lists of records, and columns that show two fields. None is a field's title.
NOT_A_FIELD = {
    "Who was involved",
    "At which gates",
    "What people said",
    "What was done",
    "Were equality impacts assessed",
    "Moved on without evidence",
    "What partners say",
    "What partners say about the activity where it was said",
    "History",
    "Mitigation, or why not assessed",
    "Record and field",
    "Characteristics with an equality impact entry",
    '"You said" items (loop closed)',
}

# The views metadata.yml describes whose rows are a table's rows: a column with the name
# of one of the table's fields carries that field, and is called by its title. A column
# that carries a field under another name is listed with it.
CARRIES = {
    "partner_verdicts_current": "partner_verdicts",
    "disputed_claims": "partner_verdicts",
    "you_said_due_dates": "you_said_we_did_current",
}
RENAMED = {("disputed_claims", "verdict_id"): "partner_verdicts.id"}

LABEL = re.compile(r"<(dt|th|p)\b([^>]*)>(.*?)</\1>", re.S)
FIELD_TITLE = re.compile(r"""field_title\(\s*["'](\w+)["']\s*,\s*["'](\w+)["']\s*\)""")


def site_columns() -> dict[str, dict[str, str]]:
    tables = yaml.safe_load((ROOT / "metadata.yml").read_text("utf-8"))["databases"]["register"]["tables"]
    return {name: t["columns"] for name, t in tables.items() if t.get("columns")}


def titles() -> dict[str, dict[str, str]]:
    """Every table's and view's column titles: the schemas', then metadata.yml's views'."""
    out = {}
    for path in SCHEMAS.glob("*.json"):
        schema = raw(path)
        if "fields" in schema:
            out[path.stem] = {f["name"]: f.get("title", f["name"]) for f in schema["fields"]}
    for path in (SCHEMAS / "views").glob("*.json"):
        out[path.stem] = {n: t for n, (t, _) in view_columns_text(raw(path)).items()}
    for name, columns in site_columns().items():
        out.setdefault(name, {n: text.split(": ", 1)[0] for n, text in columns.items()})
    return out


def every_field_title() -> set[str]:
    return {t for columns in titles().values() for t in columns.values()}


def written_labels(text: str) -> list[str]:
    """The labels a template writes out: each <dt>, <th scope="col"> and
    <p class="reg-label"> with no Jinja expression in it, its tags taken away."""
    found = []
    for tag, attrs, inner in LABEL.findall(text):
        if tag == "th" and 'scope="col"' not in attrs or tag == "p" and "reg-label" not in attrs:
            continue
        words = re.sub(r"<[^>]+>|\{[%#].*?[%#]\}", "", inner)
        if "{{" not in words:
            found.append(" ".join(words.split()))
    return found


def designed_pages():
    return [p for p in sorted(TEMPLATES.glob("*.html")) if p.name not in NOT_RECORD_PAGES]


@pytest.mark.parametrize("page", designed_pages(), ids=lambda p: p.name)
def test_the_designed_pages_read_field_titles_from_the_schemas(page):
    field_titles = every_field_title()
    written = written_labels(page.read_text("utf-8"))
    titles_written = sorted({w for w in written if w in field_titles})
    assert not titles_written, (
        f"templates/register/{page.name} writes out the field titles {titles_written}: read each from its "
        'schema with {{ field_title("<table>", "<column>") }}, so that it cannot drift from it'
    )
    unknown = sorted(set(written) - NOT_A_FIELD)
    assert not unknown, (
        f"templates/register/{page.name} writes out the labels {unknown}. A label of one field is its title: "
        'read it with {{ field_title("<table>", "<column>") }}. A label of something that is not one field '
        "goes in NOT_A_FIELD in tests/unit/test_labels.py"
    )


def test_labels_that_are_not_a_field_are_no_fields_title():
    assert not NOT_A_FIELD & every_field_title(), "a label in NOT_A_FIELD is a field's title: read it with field_title"


def test_every_field_title_a_template_asks_for_is_a_column_the_schemas_describe():
    known = titles()
    asked = {
        (p.name, table, column)
        for p in sorted(TEMPLATES.glob("*.html")) + sorted((ROOT / "templates").glob("*.html"))
        for table, column in FIELD_TITLE.findall(p.read_text("utf-8"))
    }
    assert ("you_said_item.html", "you_said_we_did_current", "due_date") in asked
    missing = sorted(a for a in asked if a[2] not in known.get(a[1], {}))
    assert not missing, f"field_title names columns no schema (nor metadata.yml) describes: {missing}"


def feed_labels(source: str) -> set[str]:
    """The labels of the "<label>: <value>" lines the feeds' f-strings write out."""
    return set(re.findall(r"""(?:f"|f'|\. )([A-Z][\w ()"'-]*?): \{""", source))


def test_the_feeds_write_no_field_title_out():
    """Each line of a feed entry is "<label>: <value>"; the label is read with field_title."""
    source = (ROOT / "src" / "register" / "site" / "feeds.py").read_text("utf-8")
    written = sorted(feed_labels(source) & every_field_title())
    assert not written, (
        f"src/register/site/feeds.py writes out the field titles {written}: use its label(table, column)"
    )


def test_the_checks_find_a_title_written_out():
    assert written_labels('<dt>Response due</dt><th scope="col" class="x">Days <a href="#">open</a></th>') == [
        "Response due",
        "Days open",
    ]
    assert written_labels('<dt>{{ field_title("t", "c") }}</dt><th scope="row">Row</th><p class="x">Text</p>') == []
    assert {"Response due", "Due date", "Days open"} <= every_field_title()
    old_feed = (
        """said.append(f"Response due: {due_text(item)}")\n f" ({uk_date(v['verdict_date'])}). In their words: {x}\""""
    )
    assert feed_labels(old_feed) == {"Response due", "In their words"}
    assert feed_labels("""f"{label(CURRENT, 'due_date')}: {due_text(r)}\"""") == set()


def test_metadata_yml_calls_a_views_column_by_the_title_of_the_field_it_carries():
    known, columns = titles(), site_columns()
    wrong = []
    for view, table in CARRIES.items():
        for column, text in columns[view].items():
            source = RENAMED.get((view, column), f"{table}.{column}")
            if source is None or source.partition(".")[2] not in known[source.partition(".")[0]]:
                continue
            res, _, name = source.partition(".")
            want, label = known[res][name], text.split(": ", 1)[0]
            if label != want:
                wrong.append(f"{view}.{column}: {label!r}, but {source} is titled {want!r}")
    assert not wrong, "metadata.yml labels columns unlike their schema:\n  " + "\n  ".join(wrong)


def test_no_view_calls_two_columns_by_one_label():
    for view, columns in site_columns().items():
        labels = [text.split(": ", 1)[0] for text in columns.values()]
        twice = sorted({label for label in labels if labels.count(label) > 1})
        assert not twice, f"metadata.yml gives two columns of {view} the label {twice}"


def test_the_worked_out_due_date_is_not_called_by_the_title_of_the_date_staff_set():
    due = view_columns_text(raw(SCHEMAS / "views" / "you_said_we_did_current.json"))["due_date"][0]
    assert due != raw_field("you_said_we_did.target_date")["title"]
