"""`make report`: run the impact report notebook headless and publish it as HTML.

notebooks/impact_report.py (jupytext, so git diffs stay readable) is converted to a
notebook, executed by papermill with the reporting period as parameters, and written as
build/reports/impact_report.ipynb (executed) and impact_report.html (code hidden, charts
as static SVG, no script and nothing from another origin: it works offline and under the
site's Content-Security-Policy). Both end with the release of the data the report was
made from and its suggested citation (register/site/releases.py), so a figure quoted
from the report can be traced to files that never change. Each file is written beside
the old one and renamed into place, so the site never serves half a report, and a
failed run leaves the previous report as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import uuid
from contextlib import closing
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from jupyter_core.utils import ensure_dir_exists
from traitlets import default

from register.checks.cells import ISO_DATE
from register.checks.messages import no_such_day
from register.database.build_info import inputs_sha256
from register.publishing.extract_tables import AS_OF_KEY, day_of
from register.schema.package import ROOT, Package
from register.site.releases import all_releases, citation, release_url
from register.util.clock import in_england
from register.util.guard import plain_errors
from register.util.text import command_parser

NOTEBOOK = ROOT / "notebooks" / "impact_report.py"
TEMPLATE_DIR = ROOT / "notebooks"
TEMPLATE = "report_template"
CSS = ROOT / "notebooks" / "report_template" / "report.css"
NAME = "impact_report"
# A kernel of this interpreter (the project's venv), registered inside the venv, so the
# notebook never runs in some other Python that a machine-wide kernelspec points at.
KERNEL_NAME = "coproduction-register"
KERNEL_DISPLAY = "Python (Co-production Register)"


def ensure_kernel() -> str:
    """Register this interpreter as a Jupyter kernel inside its own prefix if it is not."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if spec.argv and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return KERNEL_NAME
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY, prefix=sys.prefix)
    return KERNEL_NAME


def plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def check_date(text: str | None, what: str) -> str | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        # Written YYYY-MM-DD, but a day its month has not got (29 February 2025): say so.
        why = no_such_day(text) if ISO_DATE(text) else ""
        if why:
            raise SystemExit(
                f"{what}: {text!r} is not a date: {why} (written YYYY-MM-DD, for example 2025-04-01)"
            ) from None
        raise SystemExit(f"{what}: {text!r} is not a date written YYYY-MM-DD, for example 2025-04-01") from None


def licence_of(root: Path) -> str:
    """The licence the data is under, in words, from the package's datapackage.json (the
    national register's names each publisher's own)."""
    named = [lic for lic in Package(root).descriptor.get("licenses") or [] if isinstance(lic, dict)]
    titles = [str(lic.get("title") or lic.get("name")) for lic in named if lic.get("title") or lic.get("name")]
    if len(titles) > 1:
        return "each publisher's own licence: " + ", ".join(titles)
    return titles[0] if titles else "no licence is named in the data package"


def to_html(nb, out_dir: Path, licence: str = "") -> str:
    """The executed notebook as the report page: nbconvert, input cells hidden, en-GB."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name=TEMPLATE,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )
    exporter.language_code = "en-GB"
    resources = {"metadata": {"name": "Co-production impact report"}, **({"licence": licence} if licence else {})}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def today() -> str:
    """Today as the database's views see it, the day the report's overdue items are for."""
    with closing(sqlite3.connect(":memory:")) as conn:
        return day_of(conn)


def release_of(db: Path, day: str | None = None) -> dict | None:
    """The kept release made from this database's inputs (build/releases/) whose
    day-dependent figures are for `day` (default: today), if any: a release of another
    day states other overdue counts than the report."""
    digest = inputs_sha256(db)
    if digest is None:
        return None
    day = day or today()
    for r in all_releases(db.parent / "releases"):
        if r["inputs_sha256"] == digest and r["package"].get(AS_OF_KEY, day) == day:
            url = release_url(str(r["package"].get("homepage", "")), r["id"])
            return {"release": r["id"], "release_url": url, "citation": citation(r["package"], r["id"], url)}
    return None


def release_cell(release: dict | None):
    """The report's last words: which release of the data it shows, and how to cite it."""
    import nbformat

    if release is None:
        text = (
            "## Which data\n\nThis report was made from a build of the register that has not been published "
            "as a release on the day of this report (`make extracts` makes one), so it has no citation of its own."
        )
    else:
        text = (
            f"## Which data\n\nThis report shows release **{release['release']}** of the register's data, "
            f"whose files stay at a fixed address: <{release['release_url']}>.\n\n"
            f"Suggested citation: {release['citation']}"
        )
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": ["release"]})


def _atomic_write(path: Path, data: str | bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    tmp.replace(path)


class LocalKernelManager(AsyncKernelManager):
    """The kernel reached through Unix sockets in the user's private Jupyter runtime
    folder, not TCP ports on 127.0.0.1 that any local account could connect to (and
    read the outputs from): ipykernel warns of plain-text TCP on every run otherwise."""

    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    def _ip_default(self) -> str:
        # jupyter_client's default, when no connection file is named yet, is a path
        # relative to the working folder: the sockets would be made in notebooks/.
        runtime = jupyter_runtime_dir()
        ensure_dir_exists(runtime, 0o700)
        return os.path.join(runtime, f"kernel-{os.getpid()}-{uuid.uuid4().hex[:12]}-ipc")


def execute(notebook: Path, executed: Path, parameters: dict) -> None:
    """Convert a jupytext notebook and run it headless with papermill, writing `executed`.

    Raises papermill.PapermillExecutionError if a cell fails (`executed` then holds the
    notebook up to the failure).
    """
    import jupytext
    import nbformat
    import papermill

    kernel = ensure_kernel()
    source = executed.with_name(f".{executed.stem}.source.{os.getpid()}.ipynb")
    nbformat.write(jupytext.read(notebook), source)
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=parameters,
            kernel_name=kernel,
            cwd=str(notebook.parent),
            progress_bar=False,
            log_output=False,
            kernel_manager_class="register.publishing.report.LocalKernelManager",
        )
    finally:
        source.unlink(missing_ok=True)


def run(db: Path, out_dir: Path, start: str | None = None, end: str | None = None, root: Path | None = None) -> dict:
    """Execute the report for the period and write it to out_dir; returns its figures.
    `root`: the publisher's package the database was built from (default: this repository)."""
    import nbformat
    import papermill

    if start and end and start > end:
        raise SystemExit(f"The reporting period starts ({start}) after it ends ({end}).")
    if not db.exists():
        raise SystemExit(f"{db} does not exist: run `make build` first.")
    out_dir = Path(out_dir).resolve()  # the notebook runs in notebooks/: no relative paths
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".report-", dir=out_dir) as work:
        work = Path(work)
        executed = work / f"{NAME}.ipynb"
        # Every figure is for one day: if midnight passes while the notebook runs (its
        # overdue items, its "produced on" date and as_of could then be of two days), it
        # runs again for the new day, as the extracts are written again.
        for _ in range(3):
            day = today()  # before the notebook works out what is overdue
            try:
                execute(
                    NOTEBOOK,
                    executed,
                    {
                        "period_start": start,
                        "period_end": end,
                        "db_path": str(db.resolve()),
                        "output_dir": str(work),
                        "package_root": str(Path(root).resolve()) if root else None,
                    },
                )
            except papermill.PapermillExecutionError as exc:
                failed = out_dir / f"{NAME}.failed.ipynb"
                if executed.exists():
                    shutil.copyfile(executed, failed)
                raise SystemExit(
                    f"The report notebook failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}\n"
                    f"The previous report is unchanged. The failed notebook is at {failed}."
                ) from None
            if today() == day:
                break
        else:
            raise SystemExit("The day kept turning while the report was made: run it again.")
        done = nbformat.read(executed, as_version=4)
        release = release_of(db, day)
        done.cells.append(release_cell(release))
        nbformat.write(done, executed)
        html = to_html(done, out_dir, licence_of(Path(root) if root else ROOT))
        figures = json.loads((work / f"{NAME}_figures.json").read_text("utf-8"))
        figures.update(release or {"release": None, "release_url": None, "citation": None})
        # The day the day-dependent figures (overdue, days open) are for, as the extracts'
        # x-as-of says it: without it "overdue": 73 is true of no day a reader can tell.
        figures["as_of"] = day
        figures_text = json.dumps(figures, indent=2, sort_keys=True) + "\n"
        # Publish: the stylesheet first, the page last, each renamed into place.
        _atomic_write(out_dir / f"{NAME}.css", CSS.read_text("utf-8"))
        _atomic_write(out_dir / f"{NAME}_figures.json", figures_text)
        _atomic_write(out_dir / f"{NAME}.ipynb", executed.read_text("utf-8"))
        _atomic_write(out_dir / f"{NAME}.html", html)
    (out_dir / f"{NAME}.failed.ipynb").unlink(missing_ok=True)
    return json.loads(figures_text)


@plain_errors("writing the impact report")
def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument("--start", help="first day of the reporting period, YYYY-MM-DD (default: no limit)")
    parser.add_argument("--end", help="last day of the reporting period, YYYY-MM-DD (default: no limit)")
    parser.add_argument("--root", default=str(ROOT), help="the publisher's package (default: this repository)")
    parser.add_argument("--db", help="the built register (default: ROOT/build/register.db)")
    parser.add_argument("--out", help="where the report is written (default: ROOT/build/reports)")
    args = parser.parse_args(argv)
    start, end = check_date(args.start, "PERIOD_START= (--start)"), check_date(args.end, "PERIOD_END= (--end)")
    # "Today" (overdue items, the report's date) is England's, as on the site; the kernel
    # inherits it.
    in_england()
    root = Path(args.root)
    out = Path(args.out) if args.out else root / "build" / "reports"
    db = Path(args.db) if args.db else root / "build" / "register.db"
    figures = run(db, out, start, end, root)
    activities = plural(figures["activities"], "activity", "activities")
    items = plural(figures["you_said_items"], '"You said" item', '"You said" items')
    print(
        f"Wrote {out / (NAME + '.html')} and {out / (NAME + '.ipynb')}: "
        f"{activities}, {items}, loop closed for {figures['loop_closed']}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
