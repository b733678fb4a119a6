"""A port the site cannot listen on is said in one line before anything is served or
rebuilt: `make serve` while the register was already being served printed "Serving the
register on http://127.0.0.1:8001/" and then uvicorn's "address already in use" among its
log lines."""

from __future__ import annotations

import socket

from register.site import serve


def test_a_port_already_listened_on_is_said_in_one_line_with_what_to_do(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = serve.main(["--build-dir", str(tmp_path), "--no-rebuild", "--host", "127.0.0.1", "--port", str(port)])
    out, err = capsys.readouterr()
    assert code == 2 and "Serving" not in out
    assert err.startswith(f"Not serving: port {port} on 127.0.0.1 is already in use. Is the register already being")
    assert f"make serve PORT={port + 1}" in err and err.count("\n") == 1
    assert not (tmp_path / "register.db").exists(), "nothing is rebuilt for a site that cannot be served"


def test_a_port_out_of_range_is_said_plainly(tmp_path, capsys):
    assert serve.main(["--build-dir", str(tmp_path), "--no-rebuild", "--port", "70000"]) == 2
    assert (
        capsys.readouterr().err
        == "Not serving: 70000 is not a port number; give one from 1 to 65535, for example PORT=8080.\n"
    )


def test_a_free_port_is_not_refused():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert serve.port_taken("127.0.0.1", port) is None
