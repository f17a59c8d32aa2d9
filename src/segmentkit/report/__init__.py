"""``report.html``: one self-contained, offline file a marketing team can open and print.

:func:`render_report` turns a finished output folder into HTML: the report model is read
from the folder's files (:mod:`segmentkit.report.view_model`), then rendered by a Jinja2
template shipped as package data, with autoescape on for every value and plotly.js
inlined once, so the file makes no request to any other host.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

import jinja2
from plotly.offline import get_plotlyjs

from segmentkit.output.atomic import clean_leftovers, lock_file, unlock_file
from segmentkit.report.view_model import ReportModel, load_report_model

__all__ = ["ReportModel", "load_report_model", "render_report", "write_report"]

logger = logging.getLogger(__name__)

REPORT_NAME = "report.html"
# The temporary file a report is written to (mkstemp: 8 random characters).
_TEMPORARY_REPORT = re.compile(r"\.report-[a-z0-9_]{8}\.html")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("segmentkit.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _safe_json(text: str) -> str:
    # Inside <script type="application/json"> only "</" could end the element early;
    # escaping <, > and & as JSON unicode escapes keeps the data inert and valid JSON.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_report(folder: str | Path) -> str:
    """Return the HTML of the report of a finished output folder.

    Parameters
    ----------
    folder : str or Path
        A folder written by ``segmentkit run`` (or :func:`segmentkit.output.export.save_run`).

    Returns
    -------
    str

    Raises
    ------
    DataError
        When the folder is missing or incomplete.
    """
    model = load_report_model(folder)
    environment = _environment()
    environment.filters["safe_json"] = _safe_json
    template = environment.get_template("report.html.j2")
    # plotly.js is our own package data, not user data: inline it verbatim, once.
    plotly_js = jinja2.utils.markupsafe.Markup(get_plotlyjs().replace("</script", "<\\/script"))
    return template.render(report=model, plotly_js=plotly_js)


def write_report(folder: str | Path, *, shown_as: str | Path | None = None) -> Path:
    """Render the report of ``folder`` into ``folder/report.html``, replacing it atomically.

    Parameters
    ----------
    folder : str or Path
        A finished output folder.
    shown_as : str or Path, optional
        The folder the log names: the final one when ``folder`` is a temporary output
        folder that is renamed when complete (default ``folder``).

    Returns
    -------
    Path
        The report file.
    """
    folder = Path(folder)
    html = render_report(folder)
    target = folder / REPORT_NAME
    # A writer killed mid-write leaves its temporary file; the live ones hold a lock.
    clean_leftovers(target, pattern=_TEMPORARY_REPORT)
    handle, tmp_name = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=folder)
    lock = None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            lock = lock_file(Path(tmp_name))  # held until renamed: others' cleaning skips it
            stream.write(html)
        Path(tmp_name).chmod(0o644)  # mkstemp makes it private; a report is shared
        Path(tmp_name).replace(target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    finally:
        unlock_file(lock)
    logger.info("Report written to %s", Path(shown_as or folder) / REPORT_NAME)
    return target
