"""``report.html``: one self-contained, offline file a marketing team can open and print.

:func:`render_report` turns a finished output folder into HTML: the report model is read
from the folder's files (:mod:`segmentkit.report.view_model`), then rendered by a Jinja2
template shipped as package data, with autoescape on for every value and plotly.js
inlined once, so the file makes no request to any other host.
"""

from __future__ import annotations

import logging
from pathlib import Path

import jinja2
from plotly.offline import get_plotlyjs

from segmentkit.output.atomic import replaced_file
from segmentkit.output.folder import REPORT_FILE
from segmentkit.report.view_model import ReportModel, load_report_model

__all__ = ["ReportModel", "load_report_model", "render_report", "write_report"]

logger = logging.getLogger(__name__)

#: The report's file name in the output folder.
REPORT_NAME = REPORT_FILE


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
    # Written as .report-XXXXXXXX.html: a writer killed mid-write leaves that name, which
    # the next one tidies (the live ones hold a lock), and browsers still see an .html.
    with replaced_file(target, prefix=".report-", suffix=".html") as tmp:
        tmp.write_text(html, encoding="utf-8", newline="\n")
    logger.info("Report written to %s", Path(shown_as or folder) / REPORT_NAME)
    return target
