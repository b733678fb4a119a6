"""What a visitor types into the search page, as a full-text query that also finds each
word written with a hyphen or without one.

The index's tokenizer (FTS5's porter over unicode61) splits "co-production" into "co" and
"production", so "coproduction", as many people type it, found nothing, and
"co-production" missed a record that wrote "coproduction". SQLite has no option for this
and a tokenizer of our own needs a C extension, so the query carries both spellings:
a hyphenated word is also looked for joined up, and a word that starts with a prefix
English often hyphenates is also looked for as the prefix and the rest, which is how the
hyphenated word is indexed. Each alternative is an exact phrase, so a split that is not a
word finds nothing rather than something wrong.

The search page asks with `expand`; a table page's search (`?_search=`) asks SQLite for
`escape_fts(:search)`, the function Datasette defines on each connection, which
`prepare_connection` here redefines as `expand`, so a table page finds what the search
page says it holds. `_searchmode=raw` is untouched: it never calls escape_fts.
"""

from __future__ import annotations

import re

from datasette import hookimpl
from datasette.utils import escape_fts

# Prefixes people write both with and without a hyphen (co-production, coproduction).
PREFIXES = ("anti", "co", "cross", "inter", "multi", "non", "post", "pre", "re", "self", "sub")
SHORTEST_REST = 4  # "co" + "st" is not "co-st": the rest must be a word of its own
PHRASE = re.compile(r'"(?:[^"]|"")*"')
HYPHENATED = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")
WORD = re.compile(r"[^\W\d_]+")


def _alternatives(word: str) -> list[str]:
    if HYPHENATED.fullmatch(word):
        return [word.replace("-", "")]
    if not WORD.fullmatch(word):
        return []
    low = word.casefold()
    return [
        f"{word[: len(p)]} {word[len(p) :]}"
        for p in PREFIXES
        if low.startswith(p) and len(low) - len(p) >= SHORTEST_REST
    ]


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def expand(q: str | None) -> str | None:
    """FTS5 MATCH text for `q`: every word (or quoted phrase) must match, as Datasette's
    escape_fts asks, each word in either of its spellings. '' when q has no words."""
    if not isinstance(q, str):
        return q  # SQL NULL (or a number) as escape_fts would get it: matches nothing, as before
    parts = []
    for bit in PHRASE.findall(escape_fts(q)):
        other = _alternatives(bit[1:-1].replace('""', '"'))
        parts.append("(" + " OR ".join([bit, *map(_quoted, other)]) + ")" if other else bit)
    # A word typed twice (in any capitals: the index folds them) asks nothing more, but
    # SQLite reads its index entries twice: "care" 1,500 times (7.5 KB, under the address
    # limit) took 1.1 s on the sample register.
    unique: dict[str, str] = {}
    for part in parts:
        unique.setdefault(part.casefold(), part)
    return " AND ".join(unique.values())


@hookimpl(trylast=True)  # after Datasette's own, which defines escape_fts first
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, expand, deterministic=True)
