"""The register served exactly as `make serve` serves it (register/site/serve.py), on a
free bench port, and the latency of its pages as a visitor's browser sees them."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from register.schema.package import ROOT
from register.site.asgi import command as asgi_command
from register.site.serve import command

START_TIMEOUT_S = 180
LAST_PORT = 8199


class Server:
    """`make serve`'s command (or the multi-process ASGI one) running until the block ends."""

    def __init__(self, build_dir: Path, port: int, workers: int = 0):
        self.env = {}
        if workers:
            self.cmd, self.env = asgi_command(build_dir, "127.0.0.1", port, workers)
        else:
            self.cmd = command(build_dir, "127.0.0.1", port)
        self.port = port
        self.proc = None

    def __enter__(self):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            stdout=self.log,
            stderr=self.log,
            env={**os.environ, "CI": "true", **self.env},
            start_new_session=True,
        )
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError("the server stopped:\n" + self.log.read().decode(errors="replace")[-3000:])
            try:
                status, _, _ = get(self.port, "/-/versions.json")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not start within {START_TIMEOUT_S} s")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def free_port(port: int) -> int:
    """The first port from `port` on that nothing listens on (others may be benching too)."""
    for candidate in range(port, LAST_PORT + 1):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", candidate)) != 0:
                return candidate
    raise RuntimeError(f"no free port in {port}-{LAST_PORT}")


def get(port: int, path: str, headers: dict | None = None, conn=None):
    """(status, headers, body) of one GET, on `conn` if given (keep-alive), else on its own."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, dict(resp.getheaders()), body
    finally:
        if own:
            conn.close()


def latencies(port: int, path: str, n: int, headers: dict | None = None) -> tuple[list[float], int]:
    """n sequential requests on one keep-alive connection: (milliseconds each, errors)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    out, errors = [], 0
    try:
        for _ in range(n):
            start = time.perf_counter()
            status, _, _ = get(port, path, headers, conn)
            out.append((time.perf_counter() - start) * 1000)
            errors += status >= 400
    finally:
        conn.close()
    return out, errors


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, all threads) a process has used so far; None where /proc
    cannot tell (not Linux, or the process is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    """The measured value nearest the q-th percentile (not interpolated: a figure that was seen)."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]
