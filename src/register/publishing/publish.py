"""`make publish TARGET=cloudrun|fly [RUN=1]`: put the built register on the web as the
repository's Dockerfile, the same image whichever host runs it.

The image installs the `register` package (the plugins import it, which is why Datasette's
own `datasette publish --plugins-dir` cannot be used: it cannot install a package from a
local path), bakes in build/, and starts `python -m register.site.serve --no-rebuild`, so
every replica checks its database's integrity and refuses to start if it differs from
what the build recorded. See docs/deployment.md.

The command is printed so it can be read and pasted; --run runs it from the repository
root, after checking that the build is there and sound and that the host's CLI is
installed. Credentials are the CLI's own (`gcloud auth login`, `FLY_API_TOKEN`); none is
read or stored here.

    cloudrun  Google Cloud Run: `gcloud run deploy --source .` (Cloud Build builds the
              Dockerfile; .gcloudignore keeps build/ in the upload).
    fly       Fly.io: `flyctl deploy` with fly.toml, which names the Dockerfile.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from register.database.integrity import check
from register.schema.package import ROOT
from register.util.guard import plain_errors
from register.util.text import command_parser

SERVICE = "coproduction-register"
REGION = "europe-west2"  # London, as fly.toml's primary_region
CLI = {"cloudrun": "gcloud", "fly": "flyctl"}
# What the image copies from build/ (Dockerfile); the downloads page and report need the
# two folders, the site and its integrity check the three files.
BUILD_FILES = ("register.db", "metadata.json", "inspect.json")
BUILD_DIRS = {"extracts": "make extracts", "reports": "make report"}


def command(target: str, service: str = SERVICE, region: str = REGION) -> list[str]:
    """The deploy command for one target, to run from the repository root."""
    if target == "cloudrun":
        return [
            "gcloud",
            "run",
            "deploy",
            service,
            "--source",
            ".",
            "--region",
            region,
            "--allow-unauthenticated",
            "--memory",
            "1Gi",
            "--min-instances",
            "1",
            "--max-instances",
            "10",
        ]
    if target == "fly":
        return ["flyctl", "deploy", "--config", "fly.toml", "--app", service]
    raise SystemExit(f"unknown target {target!r}: use cloudrun or fly")


def preflight(target: str, root: Path) -> list[str]:
    """What stops the deploy: a missing or damaged build, no Dockerfile, no CLI."""
    build_dir = root / "build"
    problems = [f"{build_dir / n} is missing: run `make build`" for n in BUILD_FILES if not (build_dir / n).is_file()]
    problems += [
        f"{build_dir / d} is missing: run `{how}`" for d, how in BUILD_DIRS.items() if not (build_dir / d).is_dir()
    ]
    if not problems:
        problems += [f"the database fails its integrity check: {p}" for p in check(build_dir)]
    for name in ("Dockerfile", "fly.toml" if target == "fly" else ".gcloudignore"):
        if not (root / name).is_file():
            problems.append(f"{root / name} is missing")
    if not shutil.which(CLI[target]):
        problems.append(f"the `{CLI[target]}` command is not installed")
    return problems


@plain_errors("publishing the register")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("target", choices=sorted(CLI), help="the host: Google Cloud Run or Fly.io")
    parser.add_argument("--root", default=str(ROOT), help="the repository to deploy (its build/ is baked in)")
    parser.add_argument("--service", default=SERVICE, help="the Cloud Run service or Fly app name")
    parser.add_argument("--region", default=REGION, help="the Cloud Run region")
    parser.add_argument("--run", action="store_true", help="run the command, not only print it")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    cmd = command(args.target, args.service, args.region)
    print(shlex.join(cmd))
    if not args.run:
        return 0
    problems = preflight(args.target, root)
    if problems:
        print("Not publishing:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    return subprocess.call(cmd, cwd=root)


if __name__ == "__main__":
    sys.exit(main())
