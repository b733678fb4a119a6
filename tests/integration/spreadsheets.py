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
from xml.sax.saxutils import escape

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


# A LibreOffice Basic macro that makes the edits staff make by hand, then saves the
# workbook as Calc saves .xlsx: type a number into a cell, Delete Rows, move the first
# sheet. Its one argument is "path|row to delete|new position of the first sheet|column|
# row|number" (-1 or 0: not that edit); a failure is written to <path>.error.
EDIT_MACRO = """Sub Edit(spec As String)
  On Error Goto Failed
  Dim parts
  parts = Split(spec, "|")
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = "Hidden"
  args(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(parts(0)), "_blank", 0, args())
  sheet = doc.Sheets.getByIndex(0)
  If CLng(parts(3)) >= 0 Then sheet.getCellByPosition(CLng(parts(3)), CLng(parts(4))).setValue(CDbl(parts(5)))
  If CLng(parts(1)) >= 0 Then sheet.Rows.removeByIndex(CLng(parts(1)), 1)
  If CLng(parts(2)) > 0 Then doc.Sheets.moveByName(sheet.Name, CLng(parts(2)))
  Dim save(0) As New com.sun.star.beans.PropertyValue
  save(0).Name = "FilterName"
  save(0).Value = "Calc MS Excel 2007 XML"
  doc.storeToURL(ConvertToURL(parts(0)), save())
  doc.close(True)
  Exit Sub
Failed:
  Open parts(0) & ".error" For Output As #1
  Print #1, Error$ & " at line " & Erl
  Close #1
End Sub
"""
MODULE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" \
script:language="StarBasic">{}</script:module>
"""


def macro_profile(profile: Path) -> Path:
    """A LibreOffice user profile holding EDIT_MACRO as Standard.Module1."""
    args = [soffice(), "--headless", f"-env:UserInstallation=file://{profile}", "--terminate_after_init"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    module = profile / "user" / "basic" / "Standard" / "Module1.xba"
    assert module.exists(), "LibreOffice did not make its user profile"
    module.write_text(MODULE.format(escape(EDIT_MACRO, {'"': "&quot;"})), "utf-8")
    return profile


def edit_in_calc(
    profile: Path, path: Path, delete_row: int = -1, move_sheet_to: int = 0, number: tuple | None = None
) -> None:
    """Open `path` in headless LibreOffice Calc, make the edits and save it as .xlsx.
    Rows and columns count from 0 as LibreOffice's API does (row 1 of the sheet is 0)."""
    col, row, value = number if number else (-1, 0, 0)
    spec = f"{path}|{delete_row}|{move_sheet_to}|{col}|{row}|{value}"
    args = [
        soffice(),
        "--headless",
        f"-env:UserInstallation=file://{profile}",
        f'macro:///Standard.Module1.Edit("{spec}")',
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    error = path.with_name(path.name + ".error")
    assert done.returncode == 0 and not error.exists(), done.stderr + (error.read_text() if error.exists() else "")
