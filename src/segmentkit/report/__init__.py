"""``report.html``: one self-contained, offline file a marketing team can open and print.

:func:`render_report` turns a finished output folder into HTML: the report model is read
from the folder's files (:mod:`segmentkit.report.view_model`), then rendered by a Jinja2
template shipped as package data, with autoescape on for every value and plotly.js
inlined once, so the file makes no request to any other host.

plotly.js (4.8 MB) is inlined gzip-compressed, as base64 (2.0 MB), and unpacked by the
browser when the page opens (``DecompressionStream``, in every browser since 2023); the
figures share one plotly template. This keeps the report under 5 MB at any number of
customers.
"""

from __future__ import annotations

import base64
import functools
import gzip
import logging
from pathlib import Path

import jinja2
from plotly.offline import get_plotlyjs

from segmentkit.output.atomic import replaced_file
from segmentkit.output.folder import REPORT_FILE
from segmentkit.plots.interactive import template_json
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


@functools.cache
def _packed_plotly_js() -> str:
    """Return plotly.js gzip-compressed and base64-encoded (computed once per process).

    About 0.2 s at level 9 (1.47 MB of 4.8). No time stamp is stored, so the same
    plotly.js always gives the same text.
    """
    packed = gzip.compress(get_plotlyjs().encode("utf-8"), compresslevel=9, mtime=0)
    return base64.b64encode(packed).decode("ascii")


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
    # plotly.js and its template are our own package data, not user data; base64 and the
    # escaped JSON cannot end the <script> element they are in.
    return template.render(
        report=model,
        plotly_js_gzip=jinja2.utils.markupsafe.Markup(_packed_plotly_js()),
        plotly_template=jinja2.utils.markupsafe.Markup(_safe_json(template_json())),
    )


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
