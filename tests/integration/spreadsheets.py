"""Opening downloads the way a spreadsheet user does: headless LibreOffice Calc.

LibreOffice (Debian's libreoffice-calc, installed by scripts/install-libreoffice, which
`make test` runs) converts a CSV or a workbook back to CSV, so a test can compare every
cell with the machine-readable extract. Without it the tests are skipped with the reason,
except in CI, where they must run.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest

# LibreOffice's CSV filter options: comma, double quote, character set 76 (UTF-8), data
# from line 1. On import, every column as text (format 2): a spreadsheet guessing types
# would turn a section "2.0" into 2, which is not a character lost but would hide one.
# For export, the 12th token -1 writes every sheet to <file>-<sheet>.csv.
UTF8_CSV = "44,34,76,1," + "/".join(f"{i}/2" for i in range(1, 100))
EXPORT_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1"
EXPORT_EVERY_SHEET = EXPORT_CSV + ",,0,false,true,false,false,false,-1"


def soffice() -> str:
    found = shutil.which("soffice")
    if found:
        return found
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail("LibreOffice (soffice) must be installed in CI: `make test` runs scripts/install-libreoffice")
    pytest.skip("LibreOffice is not installed (run scripts/install-libreoffice, or `make libreoffice`)")


def convert(files: list[Path], out_dir: Path, export: str, infilter: str | None = None) -> None:
    """Open each file in headless LibreOffice Calc and save it as CSV into out_dir."""
    args = [soffice(), "--headless", f"-env:UserInstallation=file://{out_dir}/.profile"]
    if infilter:
        args.append(f"--infilter=CSV:{infilter}")
    args += ["--convert-to", export, "--outdir", str(out_dir), *map(str, files)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def read_csv(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with path.open(newline="", encoding=encoding) as f:
        return list(csv.reader(f))
