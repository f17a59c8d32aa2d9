"""Security: spreadsheet formulas, markup in the report, model files, paths from the config.

Everything here goes through the command line with hostile input: column names, ids,
category values, free text and config strings that a spreadsheet would run as a formula,
that a browser would run as script, or that look like paths outside the output folder.
"""

from __future__ import annotations

import csv
import html
import json
import pickle
import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from helpers import CHROMIUM_ARGS, RunCli, chromium_executable, read_run_json
from segmentkit.cli import main
from segmentkit.config import config_schema
from segmentkit.datasets import make_customers
from segmentkit.scoring.model import SegmentationModel

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Text a spreadsheet shows as a number: written as it is, never prefixed.
PLAIN_NUMBER = re.compile(r"[+-]?(?=[.,]*\d)[\d.,]*([eE][+-]?\d+)?")
FAST = {
    "clustering": {"methods": ["kmeans"], "k": 3, "stability": {"n_resamples": 0}},
    "explain": {"n_estimators": 10, "n_repeats": 1},
}


def write_config(path: Path, extra: dict[str, Any] | None = None) -> Path:
    path.write_text(json.dumps({**FAST, **(extra or {})}), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- formulas

FORMULAS = ["=1+1", "=cmd|' /C calc'!A0", "+SUM(1,1)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]
HOSTILE_HEADERS = {
    "annual_income": '=HYPERLINK("http://evil.example","income")',
    "spending_score": "+spend",
    "age": "-age",
    "region": "@region",
}
HOSTILE_CATEGORIES = ["=1+1", "@SUM(A1)", "+x", "-x"]
N_ROWS = 240


def hostile_customers() -> pd.DataFrame:
    frame = make_customers(N_ROWS, n_segments=3, seed=4).frame
    rng = np.random.default_rng(4)
    frame["customer_id"] = [f"{FORMULAS[i % len(FORMULAS)]}{i}" for i in range(len(frame))]
    regions = sorted(frame["region"].dropna().astype(str).unique())
    frame["region"] = (
        frame["region"].astype(object).replace(dict(zip(regions, HOSTILE_CATEGORIES, strict=False)))
    )
    frame["notes"] = [f'=HYPERLINK("http://evil.example/{i}","click")' for i in range(len(frame))]
    frame["balance"] = np.round(rng.normal(0, 50, len(frame)), 2)
    frame.loc[:5, "balance"] = [-12.5, -3.0, -0.75, -1e-3, -1500.0, 4.25]
    frame["code"] = [["-5", "-7.5", "-abc", "12"][i % 4] for i in range(len(frame))]
    frame = frame.rename(columns=HOSTILE_HEADERS)
    # Repeated ids: dropped (keep_first) and listed, hostile ids and all, in dropped_rows.csv.
    return pd.concat([frame, frame.iloc[[1, 2, 4]]], ignore_index=True)


def hostile_transactions() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    customers = [f"{FORMULAS[i % len(FORMULAS)]}c{i}" for i in range(40)]
    return pd.DataFrame(
        {
            "customer_id": [customers[i % 40] for i in range(n)],
            "invoice": [f"-{i // 2}" for i in range(n)],
            "invoice_date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
            "amount": np.round(rng.lognormal(3, 1, n), 2),
            "category": [HOSTILE_CATEGORIES[i % 4] for i in range(n)],
        }
    )


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@dataclass(frozen=True)
class Written:
    input: Path
    summary: dict[str, Any]
    files: dict[str, list[list[str]]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """Every CSV segmentkit writes, from hostile input, read back as rows of text."""
    folder = tmp_path_factory.mktemp("formulas")
    config = write_config(folder / "config.json")
    customers = folder / "customers.csv"
    hostile_customers().to_csv(customers, index=False)
    first, second = folder / "q1", folder / "q2"
    assert main(["run", str(customers), "-c", str(config), "-o", str(first), "-q"]) == 0
    args = ["run", str(customers), "-c", str(config), "-o", str(second), "--previous", str(first)]
    assert main([*args, "-q"]) == 0
    scored = folder / "scored.csv"
    assert main(["score", str(second / "model.skops"), str(customers), "-o", str(scored)]) == 0
    transactions = folder / "transactions.csv"
    hostile_transactions().to_csv(transactions, index=False)
    rfm = folder / "rfm.csv"
    assert main(["rfm", str(transactions), "-o", str(rfm), "-q"]) == 0
    files = {p.relative_to(second).as_posix(): read_rows(p) for p in second.rglob("*.csv")}
    files |= {"scored.csv": read_rows(scored), "rfm.csv": read_rows(rfm)}
    summary = read_run_json(second)
    return Written(customers, summary, files)


def test_every_csv_kind_was_written(written: Written) -> None:
    assert set(written.files) >= {
        "segments.csv",
        "segment_profiles.csv",
        "method_comparison.csv",
        "k_selection.csv",
        "feature_importance.csv",
        "dropped_rows.csv",
        "segment_migration.csv",
        "plots/scatter_points.csv",
        "scored.csv",
        "rfm.csv",
    }


def test_no_cell_or_header_can_run_as_a_formula(written: Written) -> None:
    for name, rows in written.files.items():
        for number, row in enumerate(rows):
            for cell in row:
                if cell.startswith(FORMULA_START):
                    assert PLAIN_NUMBER.fullmatch(cell), (name, number, cell)


def test_hostile_values_are_kept_as_text_with_a_quote(written: Written) -> None:
    segments = written.files["segments.csv"]
    header = segments[0]
    for hostile in HOSTILE_HEADERS.values():
        assert "'" + hostile in header
    cells = {cell for row in segments[1:] for cell in row}
    assert {"'" + c for c in HOSTILE_CATEGORIES} <= cells
    assert '\'=HYPERLINK("http://evil.example/0","click")' in cells  # free text is kept
    ids = [row[0] for row in segments[1:]]
    assert ids[:3] == ["'=1+10", "'=cmd|' /C calc'!A01", "'+SUM(1,1)2"]
    dropped = written.files["dropped_rows.csv"]
    assert {row[dropped[0].index("customer_id")] for row in dropped[1:]} == {
        "'=cmd|' /C calc'!A01",
        "'+SUM(1,1)2",
        "'@SUM(A1)4",
    }
    scored_ids = [row[0] for row in written.files["scored.csv"][1:]]
    assert scored_ids[: len(ids)] == ids
    features = {row[1] for row in written.files["feature_importance.csv"][1:]}
    assert "'" + HOSTILE_HEADERS["annual_income"] in features
    rfm_ids = {row[0] for row in written.files["rfm.csv"][1:]}
    assert "'=1+1c0" in rfm_ids and "'-2+3c3" in rfm_ids


def test_quoted_text_reads_back_as_it_was(written: Written) -> None:
    # --previous reads segments.csv back: every hostile id must match itself again
    # (before the quote was removed on reading, none of them did).
    assert written.summary["previous"]["customers_in_both"] == N_ROWS
    migration = written.files["segment_migration.csv"]
    assert sum(int(row[-1]) for row in migration[1:]) == N_ROWS


def test_real_negative_numbers_are_not_touched(written: Written) -> None:
    segments = written.files["segments.csv"]
    header = segments[0]
    balance = [row[header.index("balance")] for row in segments[1:]]
    assert [float(b) for b in balance] == list(hostile_customers()["balance"][:N_ROWS])
    assert balance[:6] == [
        "-12.5",
        "-3.0",
        "-0.75",
        "-0.001",
        "-1500.0",
        "4.25",
    ]
    codes = {row[header.index("code")] for row in segments[1:]}
    assert codes == {"-5", "-7.5", "'-abc", "12"}
    # No number anywhere got a quote: every prefixed cell is text.
    for name, rows in written.files.items():
        for row in rows:
            for cell in row:
                assert not (cell.startswith("'") and PLAIN_NUMBER.fullmatch(cell[1:])), (name, cell)


# --------------------------------------------------------------------------- the report

XSS = {
    "numeric column": "<script>alert('column')</script>",
    "categorical column": "<b onmouseover=alert('cat')>area</b>",
    "category": "<img src=x onerror=alert('category')>",
    "id": "\"><svg onload=alert('id')>",
    "title": "</title><script>alert('title')</script>",
    "rule name": "<iframe src=javascript:alert('rule')></iframe>",
    "rule action": "<a href=\"javascript:alert('action')\">click</a>",
    "unusual action": "<body onload=alert('unusual')>",
}
#: Markup segmentkit itself puts into plotly text (line breaks, units, hover boxes).
PLOTLY_TAGS = {"br", "b", "i", "sup", "sub", "extra"}
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4",
    "p", "nav", "a", "main", "section", "div", "span", "b", "details", "summary", "table",
    "tr", "th", "td", "ul", "li", "code", "pre", "footer", "script", "img",
}  # fmt: skip


class _Page(HTMLParser):
    """Every tag with its attributes, the text outside scripts, the script bodies."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts.append((self._script, data))
            self._script = None
            return
        if self._in_title:
            self.title += data
        self.text.append(data)


@dataclass(frozen=True)
class Report:
    out: Path
    html: str
    page: _Page
    figures: list[Any]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = tmp_path_factory.mktemp("xss")
    frame = make_customers(300, n_segments=3, seed=6).frame
    frame["customer_id"] = [f"{XSS['id']}{i}" for i in range(len(frame))]
    regions = sorted(frame["region"].dropna().astype(str).unique())
    frame["region"] = frame["region"].astype(object).replace({regions[0]: XSS["category"]})
    # The hostile numeric column is the top driver of a segment, so {driver} below is
    # filled from it: order value here (under the IQR outlier rule it was income, but
    # which column tops a segment depends on which customers are outliers).
    frame = frame.rename(
        columns={"avg_order_value": XSS["numeric column"], "region": XSS["categorical column"]}
    )
    customers = folder / "customers.csv"
    frame.to_csv(customers, index=False)
    config = write_config(
        folder / "config.json",
        {
            "report": {"title": XSS["title"]},
            "profiles": {
                "rules": [
                    {"name": XSS["rule name"], "when": [], "action": XSS["rule action"]},
                    {"name": "mix", "when": [], "action": "Offer {category} ({driver})"},
                ],
                "unusual_action": XSS["unusual action"],
            },
        },
    )
    out = folder / "out"
    assert main(["run", str(customers), "-c", str(config), "-o", str(out), "-q"]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    figures = [
        json.loads(body)
        for attrs, body in page.scripts
        if attrs.get("type") == "application/json" and attrs.get("class") == "plotly-figure"
    ]
    return Report(out, text, page, figures)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_no_payload_is_in_the_html_as_markup(report: Report) -> None:
    for name, payload in XSS.items():
        assert payload not in report.html, name
        assert payload.replace('"', "&#34;") not in report.html, name


def test_every_payload_is_shown_as_text(report: Report) -> None:
    shown = "".join(report.page.text)
    in_figures = "\n".join(s for f in report.figures for s in _strings(f))
    for name, payload in XSS.items():
        if name == "id":  # ids appear only in the scatter plots' hover text
            assert html.escape(payload, quote=True) in in_figures
        else:
            assert payload in shown, name
    assert report.page.title == XSS["title"]
    # Placeholders filled from the data ({driver}: the hostile column, humanised) are
    # escaped like the rest.
    assert re.search(r"Offer \w+ \(<script>", shown)


def test_the_page_has_only_the_templates_markup(report: Report) -> None:
    tags = report.page.tags
    assert {tag for tag, _ in tags} <= TEMPLATE_TAGS
    assert sum(tag == "body" for tag, _ in tags) == 1
    for tag, attrs in tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "img":
            assert str(attrs["src"]).startswith("data:image/png;base64,")
        if tag == "a":
            assert str(attrs["href"]).startswith("#"), attrs
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    data = [a for a in scripts if a]
    assert len(scripts) - len(data) == 1  # the loop that unpacks plotly.js and draws
    packed = [{"type": "application/gzip;base64", "id": "plotly-js"}]
    template = [{"type": "application/json", "id": "plotly-template"}]
    assert [a for a in data if "id" in a] == template + packed
    data = [a for a in data if "id" not in a]
    assert all(
        a == {"type": "application/json", "class": "plotly-figure", "data-target": a["data-target"]}
        for a in data
    )
    assert (
        len(data)
        == len(report.figures)
        == sum(1 for tag, attrs in tags if tag == "div" and attrs.get("class") == "plot")
    )


def test_figure_data_cannot_end_its_script_or_carry_markup(report: Report) -> None:
    for attrs, body in report.page.scripts:
        if attrs.get("type") == "application/json":
            assert "<" not in body
    for figure in report.figures:
        for text in _strings(figure):
            for payload in XSS.values():
                assert payload not in text
            tags = {t.lower() for t in re.findall(r"</?\s*([a-zA-Z0-9]+)", text)}
            assert tags <= PLOTLY_TAGS, (tags, text[:200])


def test_escaping_is_only_in_the_html(report: Report) -> None:
    # The data and the config are not altered: run.json keeps every string as it is.
    summary = read_run_json(report.out)
    assert summary["config"]["report"]["title"] == XSS["title"]
    assert summary["config"]["profiles"]["rules"][0]["name"] == XSS["rule name"]
    assert XSS["numeric column"] in summary["features"]


@pytest.mark.browser
def test_hostile_report_runs_no_script_in_chromium(report: Report, tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    executable = chromium_executable()
    path = tmp_path / "report.html"
    path.write_text(report.html, encoding="utf-8")
    dialogs: list[str] = []
    errors: list[str] = []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context()
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(("file:", "data:", "blob:"))
                    else route.abort()
                ),
            )
            page = context.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function(
                "Array.from(document.querySelectorAll('.plot'))"
                ".every(d => d.classList.contains('js-plotly-plot'))",
                timeout=60_000,
            )
            # Hover every scatter point's text would need a mouse; plotly's own
            # sanitiser sees the escaped text, so the DOM must hold no live payload.
            found = page.evaluate(
                """() => ({
                    title: document.title,
                    live: document.querySelectorAll(
                        'iframe, body svg[onload], [onerror], [onload], [onmouseover]'
                    ).length,
                    scripts: document.querySelectorAll('script').length,
                })"""
            )
        finally:
            browser.close()
    assert dialogs == []
    assert errors == []
    assert found["title"] == XSS["title"]
    assert found["live"] == 0
    # The page's own: the loop, the packed plotly.js, the template, one per figure.
    assert found["scripts"] == 3 + len(report.figures)


# --------------------------------------------------------------------------- model files


def test_loading_a_real_model_never_unpickles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: RunCli
) -> None:
    # The refusal of pickle, joblib and untrusted skops files is in test_model.py; this
    # checks the other side: a genuine model loads without pickle being used at all.
    customers = tmp_path / "customers.csv"
    make_customers(120, seed=8).frame.to_csv(customers, index=False)
    out = tmp_path / "out"
    code, _, err = run_cli(
        "run", customers, "-c", write_config(tmp_path / "c.json"), "-o", out, "-q"
    )
    assert code == 0, err

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("pickle was used to load a model")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    model = SegmentationModel.load(out / "model.skops")
    assert len(model.score(pd.read_csv(customers))) == 120


# --------------------------------------------------------------------------- paths


def test_no_config_setting_is_a_path() -> None:
    # Output file names are fixed by segmentkit (method names come from a closed list);
    # nothing in the config names a file. If a path setting is ever added, it needs the
    # same containment checks as --out.
    schema = json.dumps(config_schema())
    assert '"format": "path"' not in schema
    assert '"format": "file-path"' not in schema
    assert '"format": "directory-path"' not in schema


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_hostile_config_strings_write_nothing_outside_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: RunCli
) -> None:
    sandbox = tmp_path / "sandbox" / "deep" / "cwd"
    sandbox.mkdir(parents=True)
    outside = tmp_path / f"outside-{uuid.uuid4().hex}"
    escapes = [
        "../../../escaped",
        "../../../../../../../../tmp/escaped",
        f"{outside}/absolute",
        str(outside),
        "/dev/null",
    ]
    frame = make_customers(200, n_segments=3, seed=9).frame
    frame = frame.rename(columns={"annual_income": escapes[0], "region": escapes[2]})
    regions = sorted(frame[escapes[2]].dropna().astype(str).unique())
    frame[escapes[2]] = frame[escapes[2]].astype(object).replace({regions[0]: escapes[1]})
    frame["customer_id"] = [f"../../id/{i}" for i in range(len(frame))]
    customers = sandbox / "customers.csv"
    frame.to_csv(customers, index=False)
    write_config(
        sandbox / "config.json",
        {
            "report": {"title": escapes[0]},
            "profiles": {
                "rules": [{"name": escapes[3], "when": [], "action": escapes[2]}],
                "unusual_action": escapes[1],
            },
        },
    )
    monkeypatch.chdir(sandbox)
    before = _files(tmp_path)
    code, _, err = run_cli("run", "customers.csv", "-c", "config.json", "-o", "out", "-q")
    assert code == 0, err
    new = _files(tmp_path) - before
    assert new, "the run wrote nothing"
    assert all(name.startswith("sandbox/deep/cwd/out") for name in new), sorted(new)[:5]
    assert not outside.exists()
    out = (sandbox / "out").resolve()
    for path in out.rglob("*"):
        assert not path.is_symlink()
        assert path.resolve().is_relative_to(out)
    assert {p.name for p in out.iterdir()} <= {
        "segments.csv", "segment_profiles.csv", "method_comparison.csv", "k_selection.csv",
        "feature_importance.csv", "dropped_rows.csv", "run.json", "run.log", "report.html",
        "model.skops", "plots", "segment_rules.csv", "segment_rules.sql",
    }  # fmt: skip
