"""The Excel-ready CSV is written by csvkit's command class in this process: it must leave
the process as it found it (csvkit resets SIGPIPE to its default, which would let one later
write to a closed pipe kill the whole process, and replaces sys.excepthook)."""

from __future__ import annotations

import signal
import sys

from register.publishing.extract_excel import write_excel_csv


def test_writing_the_excel_csv_keeps_sigpipe_and_the_excepthook(tmp_path):
    source = tmp_path / "a.csv"
    source.write_text("name,said\nx,“quoted” – dash\n", "utf-8")
    before, hook = signal.getsignal(signal.SIGPIPE), sys.excepthook
    assert before != signal.SIG_DFL  # Python ignores SIGPIPE; the test needs that to mean anything
    write_excel_csv(source, tmp_path / "a.excel.csv")
    assert signal.getsignal(signal.SIGPIPE) == before
    assert sys.excepthook is hook
    data = (tmp_path / "a.excel.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "“quoted” – dash".encode() in data
