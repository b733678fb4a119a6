"""From one machine to many: what can be tested of it here.

Replicas share nothing but the built database file, so: two replicas serving copies of
the same build answer alike; versioned URLs (/register-<hash>/...) are cacheable for a
year and move on when the build changes; the inspect file supplies the counts; the
container recipe is checked by reading it, and `make publish` by running it against
stand-ins for the cloud CLIs (Docker, gcloud and flyctl are not available here).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from register.publishing import publish
from register.schema.package import ROOT
from register.site.cache import next_midnight
from register.site.serve import SETTINGS, datasette_instance
from register.util.files import database_digest

YEAR = "public, max-age=31536000, immutable"  # what versioned URLs said before issue 15


def until_midnight(cache_control: str) -> bool:
    """Public and fresh at most until the next local midnight (pages may show overdue)."""
    m = re.fullmatch(r"public, max-age=([0-9]+)", cache_control)
    return bool(m) and int(m.group(1)) <= next_midnight() - time.time() + 1


def get(ds, path, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


@pytest.fixture(scope="module")
def short_hash(build_dir) -> str:
    return json.loads((build_dir / "inspect.json").read_text("utf-8"))["register"]["hash"][:7]


def test_the_version_is_the_database_files_own_hash(ds, build_dir, short_hash):
    assert database_digest(build_dir / "register.db")[:7] == short_hash
    assert ds.databases["register"].hash[:7] == short_hash


@pytest.mark.parametrize(
    "path", ["/projects", "/projects.json", "/you_said_we_did.csv?_size=5", "/projects/PRJ-0001", "", ".json"]
)
def test_versioned_urls_are_cacheable_until_the_day_ends(client, short_hash, path):
    r = client.get(f"/register-{short_hash}{path}")
    assert r.status_code == 200, r.text[:300]
    assert until_midnight(r.headers["cache-control"]), r.headers["cache-control"]


def test_a_versioned_url_answers_exactly_as_the_plain_one(client, short_hash):
    plain = client.get("/register/projects.json?_shape=array&_size=max").json()
    versioned = client.get(f"/register-{short_hash}/projects.json?_shape=array&_size=max").json()
    assert versioned == plain and plain


def test_plain_urls_keep_a_short_cache_life(client):
    r = client.get("/register/projects")
    assert r.status_code == 200
    assert r.headers["cache-control"] != YEAR
    ttl = SETTINGS["default_cache_ttl"]
    assert f"max-age={ttl}" in r.headers["cache-control"]


def test_an_old_version_is_redirected_to_the_current_one_uncached(client, short_hash):
    old = "0000000" if short_hash != "0000000" else "1111111"
    r = client.get(f"/register-{old}/projects?_sort=id")
    assert r.status_code == 302
    assert r.headers["location"] == f"/register-{short_hash}/projects?_sort=id"
    assert r.headers["cache-control"] == "no-store"


def test_errors_and_credentialed_requests_are_never_cached_for_a_year(client, short_hash):
    missing = client.get(f"/register-{short_hash}/no-such-table")
    assert missing.status_code == 404 and missing.headers.get("cache-control") != YEAR
    slow = client.get(
        f"/register-{short_hash}.json",
        params={
            "sql": "with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000000000) "
            "select count(*) from c"
        },
    )
    assert slow.status_code == 400 and slow.headers.get("cache-control") != YEAR
    with_cookie = client.get(f"/register-{short_hash}/projects?_cookie=1", headers={"cookie": "a=b"})
    assert with_cookie.status_code == 200 and with_cookie.headers["cache-control"] != YEAR


def test_a_new_build_moves_the_versioned_urls_on(build_dir, tmp_path, short_hash):
    """The same file gives the same URLs on every replica; a different file, new ones."""
    copy = tmp_path / "replica"
    shutil.copytree(build_dir, copy)
    ds = datasette_instance(copy)
    assert get(ds, f"/register-{short_hash}/projects").status_code == 200
    info = json.loads((copy / "inspect.json").read_text("utf-8"))
    info["register"]["hash"] = "f" * 64  # as if rebuilt from other data
    (copy / "inspect.json").write_text(json.dumps(info), "utf-8")
    ds2 = datasette_instance(copy)
    r = get(ds2, f"/register-{short_hash}/projects")
    assert r.status_code == 302 and r.headers["location"] == "/register-fffffff/projects"


def test_replicas_share_nothing_but_the_file_and_answer_alike(build_dir, tmp_path):
    """Two replicas, each with its own copy of build/ and nothing else in common."""
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(build_dir, a)
    shutil.copytree(build_dir, b)
    one, two = datasette_instance(a), datasette_instance(b)
    for path in [
        "/register/projects.json?_shape=array",
        "/register/you_said_we_did_current.json?_shape=array",
        "/register.json?sql=select+count(*)+as+n+from+you_said_we_did",
        "/-/metadata.json",
    ]:
        ra, rb = get(one, path), get(two, path)
        assert ra.status_code == rb.status_code == 200, path
        ja, jb = ra.json(), rb.json()
        for j in (ja, jb):
            if isinstance(j, dict):
                j.pop("query_ms", None)  # timing, the one thing allowed to differ
        assert ja == jb, path
    for ds in (one, two):  # no per-replica state handed to visitors
        r = get(ds, "/register/projects")
        assert "set-cookie" not in r.headers


def test_counts_come_from_the_inspect_file_not_from_counting(build_dir, tmp_path):
    """Immutable mode with inspect.json: big tables are never recounted per request."""
    copy = tmp_path / "counted"
    shutil.copytree(build_dir, copy)
    info = json.loads((copy / "inspect.json").read_text("utf-8"))
    info["register"]["tables"]["projects"]["count"] = 123456
    (copy / "inspect.json").write_text(json.dumps(info), "utf-8")
    ds = datasette_instance(copy)
    tables = {t["name"]: t for t in get(ds, "/register.json").json()["tables"]}
    assert tables["projects"]["count"] == 123456


# --- the container, read rather than run, and the deploy command --------------------


def dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text("utf-8")
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_builds_the_site_as_make_serve_runs_it():
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    instructions = [w for w, _ in steps]
    assert set(instructions) <= {
        "FROM",
        "ENV",
        "WORKDIR",
        "COPY",
        "RUN",
        "USER",
        "EXPOSE",
        "HEALTHCHECK",
        "CMD",
        "ARG",
        "LABEL",
    }
    runs = " ".join(rest for w, rest in steps if w == "RUN")
    assert "pip install --no-cache-dir -r requirements.txt" in runs
    copies = [rest.split() for w, rest in steps if w == "COPY"]
    assert copies[0] == ["requirements.txt", "./"], "dependencies are installed before the code is copied"
    for *sources, _dest in copies:
        for src in sources:
            assert (ROOT / src).exists() or src.startswith("build"), f"COPY {src}: no such path"
    for needed in ("src/", "plugins/", "templates/", "static/", "build/"):
        assert any(needed in c for c in copies), needed
    user = [rest for w, rest in steps if w == "USER"]
    assert user and user[-1] not in ("root", "0")
    cmd = json.loads(next(rest for w, rest in steps if w == "CMD"))
    line = " ".join(cmd)
    assert "register.site.serve" in line and "0.0.0.0" in line and "${PORT" in line and "--no-rebuild" in line


def test_dockerignore_keeps_the_image_to_the_site():
    ignored = {
        l.strip()
        for l in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if l.strip() and not l.startswith("#")
    }
    for path in (".git", ".venv", "node_modules", "tests", "build/bench"):
        assert path in ignored, path
    for needed in ("src", "pyproject.toml", "plugins", "templates", "static", "build", "requirements.txt"):
        assert needed not in ignored, needed


def test_the_container_command_works_here(build_dir):
    """The CMD's own arguments against this checkout: integrity check, then no rebuild."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "register.site.serve",
            "--build-dir",
            str(build_dir),
            "--host",
            "0.0.0.0",
            "--port",
            "8201",
            "--no-rebuild",
            "--check-only",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_fly_toml_matches_the_container():
    text = (ROOT / "fly.toml").read_text("utf-8")
    port = re.search(r'PORT\s*=\s*"(\d+)"', text).group(1)
    assert re.search(rf"internal_port\s*=\s*{port}\b", text)
    assert 'dockerfile = "Dockerfile"' in text


def test_publish_deploys_the_repositorys_dockerfile():
    """Both hosts build the Dockerfile checked above (it installs the package the plugins import)."""
    cloudrun = publish.command("cloudrun")
    assert cloudrun[:4] == ["gcloud", "run", "deploy", publish.SERVICE]
    pairs = {(cloudrun[i], cloudrun[i + 1]) for i in range(len(cloudrun) - 1)}
    assert ("--source", ".") in pairs and ("--region", publish.REGION) in pairs
    assert publish.command("fly") == ["flyctl", "deploy", "--config", "fly.toml", "--app", publish.SERVICE]
    steps = dockerfile()
    runs = " ".join(rest for w, rest in steps if w == "RUN")
    assert "pip install --no-cache-dir --no-deps --no-build-isolation ." in runs, "the image installs the package"
    assert "python -m register.database.integrity --build-dir build --check-only" in runs
    # gcloud uploads what .gcloudignore allows (by default it would drop build/ with .gitignore).
    upload = [l.strip() for l in (ROOT / ".gcloudignore").read_text("utf-8").splitlines()]
    assert "#!include:.dockerignore" in upload and "!Dockerfile" in upload
    assert not any(".gitignore" in l for l in upload if not l.startswith("# "))


def fake_cli(bin_dir, name):
    """A stand-in for the host's CLI that records where it ran and with what arguments."""
    bin_dir.mkdir(exist_ok=True)
    record = bin_dir / f"{name}.args"
    script = bin_dir / name
    script.write_text(f'#!/bin/sh\npwd > "{record}"\nfor a in "$@"; do echo "$a"; done >> "{record}"\n')
    script.chmod(0o755)
    return record


def deploy_repo(tmp_path, build_dir):
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(build_dir, root / "build")
    for sub in publish.BUILD_DIRS:
        (root / "build" / sub).mkdir(exist_ok=True)
    for name in ("Dockerfile", "fly.toml", ".gcloudignore"):
        shutil.copy2(ROOT / name, root / name)
    return root


def run_publish(*args, path):
    env = {**os.environ, "PATH": str(path)}
    return subprocess.run(
        [sys.executable, "-m", "register.publishing.publish", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize("target", ["cloudrun", "fly"])
def test_publish_run_runs_the_printed_command_from_the_repository(tmp_path, build_dir, target):
    root = deploy_repo(tmp_path, build_dir)
    record = fake_cli(tmp_path / "bin", publish.CLI[target])
    result = run_publish(target, "--run", "--root", str(root), path=tmp_path / "bin")
    assert result.returncode == 0, result.stderr
    printed = shlex.split(result.stdout.strip())
    assert printed == publish.command(target)
    where, *argv = record.read_text("utf-8").splitlines()
    assert Path(where).resolve() == root.resolve()
    assert argv == printed[1:]


def test_publish_refuses_without_the_cli_or_a_sound_build(tmp_path, build_dir):
    root = deploy_repo(tmp_path, build_dir)
    with open(root / "build" / "register.db", "r+b") as f:  # one changed byte
        f.seek(200)
        byte = f.read(1)
        f.seek(200)
        f.write(bytes([byte[0] ^ 0xFF]))
    (root / ".gcloudignore").unlink()
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = run_publish("cloudrun", "--run", "--root", str(root), path=empty)
    assert result.returncode == 1
    assert "Not publishing:" in result.stderr and "Traceback" not in result.stderr
    assert "the database fails its integrity check" in result.stderr
    assert f"{root / '.gcloudignore'} is missing" in result.stderr
    assert "the `gcloud` command is not installed" in result.stderr
    missing = run_publish("fly", "--run", "--root", str(tmp_path / "nowhere"), path=empty)
    assert missing.returncode == 1 and "run `make build`" in missing.stderr and "run `make extracts`" in missing.stderr
