"""The HTML report: self-contained, offline, escaped, rendered in a real browser.

The browser tests drive Debian's Chromium (``/usr/bin/chromium``) through Playwright
with every request to anything but ``file:``, ``data:`` and ``blob:`` blocked. They skip
when Chromium is absent, unless ``SEGMENTKIT_REQUIRE_BROWSER=1`` (set by ``.ci/run``),
where a missing browser is a failure.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from plotly.offline import get_plotlyjs

from helpers import CHROMIUM_ARGS, chromium_executable, read_run_json
from segmentkit.cli import main
from segmentkit.datasets import make_customers
from segmentkit.describe.importance_words import importance_headline
from segmentkit.errors import DataError
from segmentkit.report import render_report

HOSTILE_COLUMN = "<script>alert(1)</script>"
HOSTILE_VALUE = "<img src=x onerror=alert(2)>"
N_ROWS = 400


def figure_blocks(html: str) -> list[str]:
    """The JSON of every plotly figure in the report."""
    return re.findall(r'<script type="application/json" class="plotly-figure"[^>]*>(.*?)</script>',
                      html, re.S)  # fmt: skip


@dataclass(frozen=True)
class Finished:
    out: Path
    html: str
    summary: dict[str, Any]


def _run(folder: Path, frame: pd.DataFrame, *args: str) -> Finished:
    path = folder / "customers.csv"
    frame.to_csv(path, index=False)
    out = folder / "out"
    assert main(["run", str(path), "--out", str(out), "-q", *args]) == 0
    return Finished(
        out=out,
        html=(out / "report.html").read_text(encoding="utf-8"),
        summary=read_run_json(out),
    )


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    frame = make_customers(N_ROWS, n_segments=4, seed=3).frame
    return _run(tmp_path_factory.mktemp("report"), frame)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    frame = make_customers(N_ROWS, n_segments=3, seed=5).frame
    frame = frame.rename(columns={"annual_income": HOSTILE_COLUMN})
    frame["region"] = frame["region"].astype(str).replace({"North": HOSTILE_VALUE})
    assert (frame["region"] == HOSTILE_VALUE).any()
    return _run(
        tmp_path_factory.mktemp("hostile"), frame, "--methods", "kmeans,dbscan", "--all-figures"
    )


# --------------------------------------------------------------------------- the file


def test_report_is_one_self_contained_file(finished: Finished) -> None:
    html = finished.html
    # No element loads anything from elsewhere: no src/href to a host, no stylesheet link.
    assert not re.search(
        r"""<(script|img|link|iframe)\b[^>]*\b(src|href)=["']?(https?:)?//""", html
    )
    assert "<link" not in html
    # plotly.js is inlined exactly once, gzip-compressed, and is the plotly.js installed.
    assert html.count("<script>") == 1  # the small bootstrap that unpacks it
    assert html.count('id="plotly-js"') == 1
    assert html.count("Plotly.newPlot(") >= 1
    packed = re.search(
        r'<script type="application/gzip;base64" id="plotly-js">(.*?)</script>', html
    )
    assert packed is not None
    assert gzip.decompress(base64.b64decode(packed.group(1))).decode() == get_plotlyjs()
    # One template for every figure, none repeated inside a figure.
    assert html.count('id="plotly-template"') == 1
    assert '"template"' not in "".join(figure_blocks(html))
    assert 2_000_000 < len(html.encode()) < 5_000_000


def test_report_sections(finished: Finished) -> None:
    html = finished.html
    recommended = finished.summary["recommended"]["method"]
    for anchor in ("overview", "methods", "segments", "reproduce"):
        assert f'id="{anchor}"' in html
    for method in finished.summary["methods"]:
        assert f'id="method-{method}"' in html
        assert f'id="figure-scatter-{method}"' in html
        assert f'id="figure-importance-{method}"' in html
    profiles = pd.read_csv(finished.out / "segment_profiles.csv")
    for name in profiles.loc[profiles["method"] == recommended, "name"]:
        assert name.replace("·", "·") in html
    assert finished.summary["input"]["sha256"] in html
    assert '<span class="badge">recommended</span>' in html


def test_importance_says_what_the_terminal_says(finished: Finished) -> None:
    importance = pd.read_csv(finished.out / "feature_importance.csv")
    for method, info in finished.summary["methods"].items():
        explanation = info["explanation"]
        rows = importance[importance["method"] == method]
        headline = importance_headline(rows, explanation["surrogate_accuracy"])
        assert headline == explanation["headline"]
        # Percentages of accuracy, never bare decimals such as "0.00".
        assert f"reproduces {explanation['surrogate_accuracy']:.0%} of the segments" in headline
        assert not re.search(r"\b0\.\d\d\b", headline)
        assert f'<p class="caption">{escape(headline)}</p>' in finished.html
        # run.json lists the groups with their members and the drop shuffled together.
        groups = rows.drop_duplicates("feature_group").head(5)
        assert [g["feature_group"] for g in explanation["groups"]] == list(groups["feature_group"])
        assert [g["permutation_mean"] for g in explanation["groups"]] == pytest.approx(
            list(groups["group_permutation_mean"])
        )
        for group in explanation["groups"]:
            assert " + ".join(sorted(group["features"])) == " + ".join(
                sorted(group["feature_group"].split(" + "))
            )


PER_METHOD = ("scatter", "importance", "sizes", "criteria", "heatmap")


def test_the_recommended_methods_pngs_and_the_reports_are_written(finished: Finished) -> None:
    plots = finished.out / "plots"
    recommended = finished.summary["recommended"]["method"]
    names = {p.name for p in plots.glob("*.png")}
    # The recommended method's figures, and of every method those the report embeds.
    expected = {f"{kind}_{recommended}.png" for kind in PER_METHOD} | {
        f"silhouette_{recommended}.png",
        f"drivers_{recommended}.png",
        "dendrogram_agglomerative.png",
        "k_distance_dbscan.png",
    }
    assert names == expected
    for path in plots.glob("*.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path.name


def test_all_figures_draws_every_methods_pngs(hostile: Finished) -> None:
    # The hostile run asks for --all-figures.
    names = {p.name for p in (hostile.out / "plots").glob("*.png")}
    for method in ("kmeans", "dbscan"):
        # Every method has these three (criteria and heatmap need two candidates, features).
        assert {f"{kind}_{method}.png" for kind in ("scatter", "importance", "sizes")} <= names
    assert hostile.summary["config"]["report"]["figures"] == "all"


def test_scatter_points_match_the_segments(finished: Finished) -> None:
    points = pd.read_csv(finished.out / "plots" / "scatter_points.csv")
    segments = pd.read_csv(finished.out / "segments.csv")
    assert len(points) == N_ROWS  # below report.max_points: everyone is drawn
    merged = points.merge(segments, left_on="id", right_on="customer_id", validate="one_to_one")
    for method in finished.summary["methods"]:
        labels = merged[f"segment_{method}"]
        groups = merged[f"group_{method}"]
        # Same segment, except flagged outliers described apart (-2).
        same = (groups == labels) | ((groups == -2) & merged["is_outlier"])
        assert same.all(), method
    assert finished.summary["scatter"]["source"] == "pca"
    assert finished.summary["scatter"]["axis_labels"][0].startswith("PC1 (")


def test_report_command_re_renders_the_same_html(
    finished: Finished, capsys: pytest.CaptureFixture[str]
) -> None:
    before = finished.html
    assert main(["report", str(finished.out)]) == 0
    assert (finished.out / "report.html").read_text(encoding="utf-8") == before
    assert f"Report: {(finished.out / 'report.html').resolve()}" in capsys.readouterr().out


def test_report_command_on_a_folder_that_is_not_an_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "not a complete segmentkit output folder" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(DataError, match="output folder not found"):
        render_report(tmp_path / "missing")


# --------------------------------------------------------------------------- escaping


def test_hostile_strings_are_escaped_in_the_html(hostile: Finished) -> None:
    html = hostile.html
    assert HOSTILE_COLUMN not in html
    assert HOSTILE_VALUE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Inside figure JSON the markup is escaped twice: for plotly (HTML) and for <script>.
    assert "alert(1)" in html
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in block
        json.loads(block)


# --------------------------------------------------------------------------- in a browser


@dataclass
class PageVisit:
    blocked: list[str]
    console_errors: list[str]
    dialogs: list[str]
    scatter: list[dict[str, Any]]
    text: str


def _visit(report: Path) -> PageVisit:
    playwright = pytest.importorskip("playwright.sync_api")
    executable = chromium_executable()
    blocked: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})

            def route(handle: Any) -> None:
                url = handle.request.url
                if url.startswith(("file:", "data:", "blob:")):
                    handle.continue_()
                else:
                    blocked.append(url)
                    handle.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def on_dialog(dialog: Any) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_function(
                "document.querySelectorAll('.plot').length > 0 && "
                "Array.from(document.querySelectorAll('.plot'))"
                ".every(d => d.classList.contains('js-plotly-plot'))",
                timeout=60_000,
            )
            scatter = page.evaluate(
                """() => Array.from(document.querySelectorAll('[data-kind="scatter"]')).map(f => {
                    const gd = f.querySelector('.js-plotly-plot');
                    return {
                        method: f.dataset.method,
                        points: gd._fullData.reduce((n, t) => n + t.x.length, 0),
                        traces: gd.data.length,
                        type: gd._fullData[0].type,
                        scene: Boolean(gd._fullLayout.scene),
                        canvases: gd.querySelectorAll('canvas').length,
                    };
                })"""
            )
            # Open every collapsed section so its text counts as shown.
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            text = page.inner_text("body")
        finally:
            browser.close()
    return PageVisit(blocked, errors, dialogs, scatter, text)


@pytest.mark.browser
def test_report_renders_offline_in_chromium(finished: Finished) -> None:
    visit = _visit(finished.out / "report.html")
    assert visit.blocked == []
    assert visit.console_errors == []
    assert visit.dialogs == []
    methods = list(finished.summary["methods"])
    assert [s["method"] for s in visit.scatter] == methods
    for scatter in visit.scatter:
        assert scatter["points"] == N_ROWS, scatter
        assert scatter["type"] == "scatter3d", scatter
        assert scatter["scene"], scatter
        assert scatter["canvases"] >= 1, scatter  # WebGL drew it
    assert "Methods compared" in visit.text


@pytest.mark.browser
def test_hostile_column_is_text_and_no_dialog_fires(hostile: Finished) -> None:
    visit = _visit(hostile.out / "report.html")
    assert visit.dialogs == []
    assert visit.console_errors == []
    assert visit.blocked == []
    assert HOSTILE_COLUMN in visit.text
    assert HOSTILE_VALUE in visit.text


def test_figures_and_report_need_no_network_and_no_browser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import sys

    from segmentkit.config import Config
    from segmentkit.output.export import save_run
    from segmentkit.pipeline import run_segmentation

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    frame = make_customers(300, n_segments=3, seed=8).frame
    config = Config().with_overrides({"clustering.methods": ["kmeans", "agglomerative"]})
    out = save_run(run_segmentation(frame, config), tmp_path / "out")
    pngs = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert "scatter_kmeans.png" in pngs
    assert "dendrogram_agglomerative.png" in pngs
    assert (out / "report.html").stat().st_size > 1_000_000
    assert "kaleido" not in sys.modules  # plotly's browser-based PNG export is never used


@pytest.mark.parametrize(
    ("features", "source", "axes"),
    [
        (["age", "annual_income", "spending_score"], "features", 3),
        (["annual_income", "spending_score"], "features", 2),
        (["age", "annual_income", "spending_score", "tenure_months"], "pca", 3),
    ],
)
def test_scatter_axes(features: list[str], source: str, axes: int) -> None:
    from segmentkit.config import Config
    from segmentkit.pipeline import run_segmentation
    from segmentkit.plots import scatter_points

    frame = make_customers(300, n_segments=3, seed=9).frame
    config = Config().with_overrides(
        {"input.features": features, "clustering.methods": ["kmeans"], "clustering.k": 3}
    )
    run = run_segmentation(frame, config)
    points = scatter_points(run, max_points=120, seed=0)
    assert points.source == source
    assert len(points.axis_labels) == axes
    assert [c for c in ("x", "y", "z") if c in points.table] == ["x", "y", "z"][:axes]
    # A seeded sample, stratified by segment, and the figure says so.
    assert 117 <= len(points.table) <= 126  # quotas are floored, at least 2 per segment
    assert points.note.startswith(f"{len(points.table):,} of 300 customers shown")
    if source == "features":
        assert list(points.axis_labels) == features
        # Original units: the drawn values are the customers' own.
        by_id = frame.set_index("customer_id")
        expected = by_id.loc[points.table["id"], features[0]].to_numpy(dtype=float)
        known = ~np.isnan(expected)
        np.testing.assert_allclose(points.table["x"][known], expected[known])
        # A missing value is drawn at the column's median (plotted, not dropped).
        median = frame[features[0]].median()
        np.testing.assert_allclose(points.table["x"][~known], median)
    else:
        assert all(label.startswith(f"PC{i + 1} (") for i, label in enumerate(points.axis_labels))
    shares = points.table["group_kmeans"].value_counts(normalize=True)
    overall = pd.Series(run.labels).value_counts(normalize=True)
    assert (shares.reindex(overall.index) - overall).abs().max() < 0.03


def test_all_figures_add_pngs_and_leave_the_report_as_it_is(tmp_path: Path) -> None:
    from dataclasses import replace

    from segmentkit.config import Config
    from segmentkit.output.export import save_run
    from segmentkit.pipeline import run_segmentation

    frame = make_customers(300, n_segments=3, seed=8).frame
    config = Config().with_overrides({"clustering.methods": ["kmeans", "dbscan"]})
    run = run_segmentation(frame, config)
    every = replace(run, config=config.with_overrides({"report.figures": "all"}))
    outs = save_run(run, tmp_path / "default"), save_run(every, tmp_path / "all")
    pngs = [{p.name for p in (out / "plots").glob("*.png")} for out in outs]
    other = ({"kmeans", "dbscan"} - {run.recommended}).pop()
    assert {f"scatter_{other}.png", f"heatmap_{other}.png"} <= pngs[1] - pngs[0]
    assert not pngs[0] - pngs[1]

    def report(out: Path) -> list[str]:
        # The configuration shown in the report names the setting; nothing else differs.
        lines = (out / "report.html").read_text(encoding="utf-8").splitlines()
        return [line for line in lines if "&#34;figures&#34;" not in line]

    assert report(outs[0]) == report(outs[1])
