"""`make lab`: JupyterLab starts in the project's environment with the notebooks ready to
run, and a kernel started through it can read the built register."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
import uuid

import pytest
import websocket

from register.schema.package import ROOT

TOKEN = "lab-test-" + uuid.uuid4().hex


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, method: str = "GET", body: dict | None = None):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, json.loads(r.read() or b"null")


@pytest.fixture(scope="module")
def lab():
    port = _free_port()
    env = {**os.environ, "CI": "true", "JUPYTER_TOKEN": TOKEN}
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                status, _ = _get(port, "/api/status")
                if status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.poll() is not None else ""
                pytest.fail(f"JupyterLab did not start (exit {proc.poll()}): {out[-2000:]}")
            time.sleep(0.5)
        yield port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_lab_serves_jupyterlab_and_opens_the_notebooks_as_notebooks(lab):
    status, listing = _get(lab, "/api/contents/notebooks")
    assert status == 200
    names = {item["name"] for item in listing["content"]}
    assert {"impact_report.py", "analyst_guide.py"} <= names
    for name in ("impact_report.py", "analyst_guide.py"):
        status, model = _get(lab, f"/api/contents/notebooks/{name}?type=notebook")
        assert status == 200 and model["type"] == "notebook", name
        cells = model["content"]["cells"]
        assert any(c["cell_type"] == "code" for c in cells) and any(c["cell_type"] == "markdown" for c in cells)
    with urllib.request.urlopen(f"http://127.0.0.1:{lab}/lab?token={TOKEN}", timeout=30) as r:
        assert r.status == 200 and b"JupyterLab" in r.read()


def _execute(port: int, kernel_id: str, code: str, timeout: float = 120) -> str:
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={TOKEN}", timeout=timeout
    )
    try:
        msg_id = uuid.uuid4().hex
        ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "username": "test",
                        "session": uuid.uuid4().hex,
                        "msg_type": "execute_request",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "channel": "shell",
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": False,
                        "user_expressions": {},
                        "allow_stdin": False,
                    },
                }
            )
        )
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                pytest.fail("the kernel raised: " + "\n".join(msg["content"]["traceback"])[-2000:])
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)
        pytest.fail("the kernel did not answer in time")
    finally:
        ws.close()


def test_a_kernel_started_through_lab_reads_the_built_register(lab):
    status, kernel = _get(lab, "/api/kernels", method="POST", body={"name": "python3"})
    assert status == 201
    try:
        printed = _execute(
            lab,
            kernel["id"],
            (
                "from register.publishing import reportkit as rk\n"
                "conn, note = rk.open_register(rk.ROOT / 'build' / 'register.db')\n"
                "print(conn.execute('SELECT COUNT(*) FROM coproduction_log').fetchone()[0])\n"
            ),
        )
    finally:
        _get(lab, f"/api/kernels/{kernel['id']}", method="DELETE")
    expected = (
        sqlite3.connect(ROOT / "build" / "register.db").execute("SELECT COUNT(*) FROM coproduction_log").fetchone()[0]
    )
    assert expected > 0 and printed.strip() == str(expected)
