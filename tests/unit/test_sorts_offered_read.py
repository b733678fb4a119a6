"""register/site/sorts.py `Offered`: a build's sorts and columns read when it is opened."""

from __future__ import annotations

import sqlite3

from register.site.sorts import Offered


def test_a_view_that_cannot_be_read_does_not_stop_the_build_being_opened(tmp_path):
    path = tmp_path / "register.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE items (id TEXT PRIMARY KEY, note TEXT);
        CREATE TABLE gone (id TEXT);
        CREATE VIEW broken AS SELECT id FROM gone;
        DROP TABLE gone;
        """
    )
    conn.close()
    offered = Offered(str(path))
    assert offered.columns["items"] == ["id", "note"]
    assert "broken" not in offered.columns
