"""What the site answers a visitor whose address is slightly wrong: the message says what
the site really does, and a record that is not there is a plain 404, never a 200 or a 500."""

from __future__ import annotations


def test_size_message_says_what_sizes_are_taken(client):
    # 0 is taken (the count of rows, none shown), so the message says so.
    nothing = client.get("/register/projects.json?_size=0").json()
    assert nothing["rows"] == [] and nothing["filtered_table_rows_count"] > 0
    for size in ("-1", "abc", "1001"):
        response = client.get(f"/register/projects.json?_size={size}")
        assert response.status_code == 400, size
        assert response.json()["error"].startswith("_size= must be a whole number of rows from 0 to 1,000, or max."), (
            size
        )
    assert client.get("/register/projects.json?_size=1000").status_code == 200
