"""A table's permission rules are worked out once per metadata, and still obeyed."""

from __future__ import annotations

import asyncio

from register.site.serve import datasette_instance


def test_table_rules_are_kept_and_still_deny(build_dir):
    ds = datasette_instance(build_dir)
    ds._metadata_local["databases"]["register"]["tables"]["projects"]["allow"] = {"id": "staff"}
    asyncio.run(ds.invoke_startup())
    assert ds._table_permission_allows.__name__ == "table_rules"  # the kept answers are in use
    first = ds._table_permission_allows("register", "projects")
    assert first == [{"id": "staff"}]
    assert ds._table_permission_allows("register", "projects") == first
    assert asyncio.run(ds.client.get("/register/projects")).status_code == 403
    assert asyncio.run(ds.client.get("/register/coproduction_log")).status_code == 200
    # New metadata (a reload) is read afresh.
    ds._metadata_local = {**ds._metadata_local, "databases": {"register": {"tables": {}}}}
    assert ds._table_permission_allows("register", "projects") == []
