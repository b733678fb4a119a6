"""Datasette 0.65.5 works out a table's `allow` rules by deep-copying the whole metadata
(57 KB here) on every check of every table: 2 to 5 ms each, and the database page checks
every table several times (about 0.4 s of CPU a request). The rules depend only on the
metadata, which is fixed while the server runs, so each table's answer is kept, keyed by
the metadata object itself. Not used when a plugin supplies metadata (get_metadata),
which could change it between requests."""

from __future__ import annotations

from datasette.plugins import pm


def cache_table_rules(datasette) -> bool:
    """Keep the answers of datasette._table_permission_allows; False when it cannot."""
    if pm.hook.get_metadata.get_hookimpls():
        return False
    work_out = datasette._table_permission_allows
    kept: dict[tuple, tuple] = {}

    def table_rules(database, table):
        metadata = datasette._metadata_local
        found = kept.get((database, table))
        if found is None or found[0] is not metadata:
            found = kept[(database, table)] = (metadata, work_out(database, table))
        return list(found[1])

    datasette._table_permission_allows = table_rules
    return True
