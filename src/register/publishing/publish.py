"""`python -m register.publishing.publish cloudrun|fly [--run]`: put the built register on the web
with Datasette's own `datasette publish`, configured exactly as `make serve` serves it.

Prints the command (so it can be read, reviewed and pasted) and runs it only with
--run. Everything in it comes from one place: the settings from register/site/serve.py, the
plugin versions from requirements.txt (pinned, so the site runs what was tested), the
database, inspect file and metadata from build/ (run `make build` and `make extracts`
first). The replicas a host starts all serve this one immutable file; see
README.md ("Running on more than one machine").

    cloudrun  Google Cloud Run: needs the `gcloud` CLI, logged in, with a project set.
    fly       Fly.io: needs the `flyctl` CLI and the datasette-publish-fly plugin
              (pip install datasette-publish-fly==1.4). For Fly, `fly deploy` with the
              repository's Dockerfile and fly.toml is the other way, and it runs the
              start-up integrity check too.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from register.database.integrity import check
from register.schema.package import ROOT
from register.site.serve import BUILD_STATIC, SETTINGS, STATIC

# Plugins the site needs at run time: installed on the host at these exact versions.
RUNTIME_PACKAGES = ("datasette", "datasette-vega", "datasette-export-notebook")
SERVICE = "coproduction-register"
FLY_PLUGIN = "datasette-publish-fly==1.4"


def pinned(names=RUNTIME_PACKAGES, requirements: Path = ROOT / "requirements.txt") -> list[str]:
    """`name==version` for each runtime package, read from the lock file."""
    versions = {}
    for line in requirements.read_text("utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.strip())
        if m:
            versions[m.group(1).lower().replace("_", "-")] = m.group(2)
    missing = [n for n in names if n not in versions]
    if missing:
        raise SystemExit(f"requirements.txt does not pin {', '.join(missing)}")
    return [f"{n}=={versions[n]}" for n in names]


def setting_options() -> list[str]:
    out = []
    for key, value in SETTINGS.items():
        out += ["--setting", key, ("on" if value else "off") if isinstance(value, bool) else str(value)]
    return out


def _rel(path: Path) -> str:
    """A path as it is written in the repository (the command runs from its root)."""
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def command(target: str, build_dir: Path = ROOT / "build", service: str = SERVICE) -> list[str]:
    """The `datasette publish` command line for one target (run from the repository root)."""
    build_dir = Path(build_dir)
    cmd = [
        "datasette",
        "publish",
        target,
        _rel(build_dir / "register.db"),
        "--metadata",
        _rel(build_dir / "metadata.json"),
        "--plugins-dir",
        _rel(ROOT / "plugins"),
        "--template-dir",
        _rel(ROOT / "templates"),
    ]
    for name, path in STATIC.items():
        cmd += ["--static", f"{name}:{_rel(path)}"]
    for name, sub in BUILD_STATIC.items():
        cmd += ["--static", f"{name}:{_rel(build_dir / sub)}"]
    for package in pinned():
        cmd += ["--install", package]
    cmd += ["--extra-options", " ".join(setting_options())]
    if target == "cloudrun":
        cmd += ["--service", service, "--max-instances", "10", "--min-instances", "1", "--memory", "1Gi"]
    elif target == "fly":
        cmd += ["--app", service]
    else:
        raise SystemExit(f"unknown target {target!r}: use cloudrun or fly")
    return cmd


def preflight(target: str, build_dir: Path) -> list[str]:
    """What is missing before the command can work."""
    problems = []
    for name in ("register.db", "metadata.json", "inspect.json"):
        if not (build_dir / name).is_file():
            problems.append(f"{build_dir / name} is missing: run `make build`")
    if not (build_dir / "extracts").is_dir():
        problems.append(f"{build_dir / 'extracts'} is missing: run `make extracts`")
    tool = {"cloudrun": "gcloud", "fly": "flyctl"}[target]
    if not shutil.which(tool):
        problems.append(f"the `{tool}` command is not installed")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=["cloudrun", "fly"])
    parser.add_argument("--build-dir", default=str(ROOT / "build"))
    parser.add_argument("--service", default=SERVICE, help="the Cloud Run service or Fly app name")
    parser.add_argument("--run", action="store_true", help="run the command, not only print it")
    args = parser.parse_args(argv)
    build_dir = Path(args.build_dir)
    cmd = command(args.target, build_dir, args.service)
    if args.target == "fly":
        print(f"# needs: pip install {FLY_PLUGIN}")
    print(shlex.join(cmd))
    if not args.run:
        return 0

    problems = preflight(args.target, build_dir) + check(build_dir)
    if problems:
        print("Not publishing:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    return subprocess.call(cmd, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
