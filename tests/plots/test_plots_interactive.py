"""Tests for segmentkit.plots.interactive: the bytes a figure adds to the report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from segmentkit.plots import interactive

N_POINTS = 5_000  # report.max_points by default: the most a scatter draws


def sampled_points(n: int = N_POINTS) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": [f"C{i:07d}" for i in range(n)],
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
            "z": rng.normal(size=n),
            "group_kmeans": rng.integers(-2, 6, size=n),
            "income (k$)": rng.lognormal(3, 1, size=n),
            "growth %{x}": rng.normal(size=n),
            "region": rng.choice(["North", "South"], size=n),
        }
    )


def scatter(points: pd.DataFrame) -> dict:
    return json.loads(
        interactive.scatter_figure(
            points,
            method="kmeans",
            axis_labels=["PC1", "PC2", "PC3"],
            names={0: "Big spenders"},
            hover_features=["income (k$)", "growth %{x}", "region"],
        )
    )


def test_scatter_of_the_largest_sample_stays_small() -> None:
    text = interactive.scatter_figure(
        sampled_points(),
        method="kmeans",
        axis_labels=["PC1", "PC2", "PC3"],
        names={},
        hover_features=["income (k$)", "growth %{x}", "region"],
    )
    # Was 793 KB per method (a written-out hover text per customer, 64-bit coordinates,
    # the template); the report holds one such figure per method.
    assert len(text.encode()) < 320_000
    figure = json.loads(text)
    assert "template" not in figure["layout"]
    assert sum(len(t["customdata"]) for t in figure["data"]) == N_POINTS
    assert {t["x"]["dtype"] for t in figure["data"]} == {"f4"}


def test_scatter_hover_shows_id_and_features_as_text() -> None:
    points = sampled_points(50)
    figure = scatter(points)
    first = figure["data"][0]
    row = points[points["group_kmeans"] == 0].iloc[0]
    assert first["name"] == "Big spenders"
    assert first["customdata"][0][0] == row["id"]
    assert first["customdata"][0][3] == row["region"]
    # Column names are escaped for plotly: "%{x}" in a name is not a placeholder.
    assert first["hovertemplate"] == (
        "id: %{customdata[0]}<br>income (k$): %{customdata[1]}"
        "<br>growth &#37;{x}: %{customdata[2]}<br>region: %{customdata[3]}"
    )


def test_every_figure_leaves_the_template_to_the_page() -> None:
    profiles = pd.DataFrame(
        {"segment": [0, 1], "name": ["a", "b"], "share": [0.4, 0.6], "spend_z": [1.0, -1.0],
         "spend_mean": [10.0, 5.0]}
    )  # fmt: skip
    figures = [
        interactive.sizes_figure(profiles, method="m"),
        interactive.heatmap_figure(profiles, ["spend"], method="m"),
    ]
    for text in figures:
        assert "template" not in json.loads(text)["layout"]
    template = json.loads(interactive.template_json())
    assert set(template) == {"data", "layout"}
    assert template["layout"]["plot_bgcolor"] == "white"
