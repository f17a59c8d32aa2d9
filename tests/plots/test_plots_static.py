"""Tests for segmentkit.plots.static: every figure's content, hostile text, PNG bytes."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image
from scipy.cluster.hierarchy import fcluster, linkage

from segmentkit.plots import _style, static
from segmentkit.plots.colours import NOISE_COLOUR, OUTLIER_COLOUR
from segmentkit.plots.static import mpl_text
from segmentkit.text import format_figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOSTILE = "Spend ($) $x$ <script>"
NAMES = {
    0: "Big $pender_s <b>",
    1: "Thrifty families 50% off",
    2: "Épargnants prudents",
    -1: "Unusual customers (noise)",
    -2: "Unusual customers (outliers)",
}


def save_and_check(fig: Figure, path: Path) -> tuple[int, int]:
    """Save, check the PNG and that nothing else was written; return (width, height) px."""
    before = set(path.parent.iterdir())
    static.save_figure(fig, path)
    assert set(path.parent.iterdir()) - before == {path}
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        width, height = image.size
    assert 700 <= width <= 1800, width
    assert 250 <= height <= 1200, height
    return width, height


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]


def dashed_x(ax: Axes) -> list[float]:
    """x of every vertical dashed line (axvline) in ``ax``."""
    found = []
    for line in ax.lines:
        xdata = np.asarray(line.get_xdata(), dtype=float)
        if line.get_linestyle() == "--" and len(xdata) == 2 and xdata[0] == xdata[1]:
            found.append(float(xdata[0]))
    return found


def dashed_y(ax: Axes) -> list[float]:
    found = []
    for line in ax.lines:
        ydata = np.asarray(line.get_ydata(), dtype=float)
        if line.get_linestyle() == "--" and len(ydata) == 2 and ydata[0] == ydata[1]:
            found.append(float(ydata[0]))
    return found


def points(n: int = 300, *, three_d: bool = True, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice([0, 1, 2, -1, -2], size=n, p=[0.4, 0.3, 0.2, 0.06, 0.04])
    frame = pd.DataFrame({"x": rng.normal(group, 1.0), "y": rng.normal(-group, 1.0)})
    if three_d:
        frame["z"] = rng.normal(size=n)
    frame["group"] = group
    return frame


def kmeans_criteria() -> pd.DataFrame:
    k = np.arange(2, 9)
    return pd.DataFrame(
        {
            "k": k,
            "inertia": 1000.0 / k,
            "silhouette": [0.30, 0.35, 0.38, np.nan, 0.41, 0.30, 0.28],
            "chosen": k == 5,
        }
    )


def profile_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = [HOSTILE, "income", "recency_days"]
    z = pd.DataFrame(
        [[2.5, -0.4, 7.0], [-1.2, 0.3, -0.1], [0.0, 1.1, -2.2]], index=[0, 1, 2], columns=columns
    )
    means = pd.DataFrame(
        [[12345.6, 612.4, 60.56], [0.4567, -3.0, 1.5], [1000.0, 99.94, 10.0]],
        index=[0, 1, 2],
        columns=columns,
    )
    return z, means


def test_mpl_text_escapes_every_dollar() -> None:
    assert mpl_text(HOSTILE) == r"Spend (\$) \$x\$ <script>"
    assert mpl_text("no dollars_here 50% <b>") == "no dollars_here 50% <b>"


def test_mpl_text_drops_control_characters() -> None:
    # Whitespace controls read as a space, the others have no glyph in any font.
    assert mpl_text("a\x13b\tc\x7f\x85d\ne$") == "ab c d\ne\\$"


def drawn_with_warnings(make: Callable[[], Figure], path: Path) -> tuple[Figure, list[str]]:
    """Build and save a figure; return it and every warning message raised meanwhile."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = make()
        static.save_figure(fig, path)
    return fig, [str(w.message) for w in caught]


def test_control_characters_in_names_draw_no_missing_glyph(tmp_path: Path) -> None:
    # Regression: "\x13" in a column or segment name warned "Glyph 19 missing".
    z, means = profile_frames()
    z.columns = means.columns = ["spend\x13", "income\x7f", "recency\x85days"]
    names = {0: "Big\x13 spenders", 1: "Thrifty\x01", 2: "Others"}
    fig, caught = drawn_with_warnings(
        lambda: static.profile_heatmap(z, means, names=names), tmp_path / "h.png"
    )
    assert [w for w in caught if "missing from font" in w] == []
    ax = fig.axes[0]
    # Column names without spaces are put in words on the axis ("recency_days" reads
    # "Recency days"); control characters are dropped either way.
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Spend", "Income", "Recency days"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Big spenders", "Thrifty", "Others"]


def test_font_fallbacks_only_name_installed_regular_fonts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def entry(name: str, weight: int) -> font_manager.FontEntry:
        return font_manager.FontEntry(fname=f"/fonts/{name}.ttf", name=name, weight=weight)

    fonts = [
        entry("DejaVu Sans", 400),
        entry("Droid Sans Fallback", 400),
        entry("WenQuanYi Zen Hei", 500),  # no regular weight: findfont would warn
        entry("Noto Sans CJK JP", 700),
        entry("Liberation Sans", 400),  # installed, not a fallback
    ]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", fonts)
    _style._font_families.cache_clear()
    try:
        assert _style._font_families() == ("DejaVu Sans", "Droid Sans Fallback")
    finally:
        monkeypatch.undo()
        _style._font_families.cache_clear()
    # On this machine: DejaVu Sans (shipped with matplotlib) first, then only fonts it has.
    families = _style._font_families()
    assert families[0] == "DejaVu Sans"
    installed = {f.name for f in font_manager.fontManager.ttflist}
    assert set(families) <= installed
    assert list(families) == [f for f in _style.FONT_FALLBACKS if f in families]


def test_cjk_names_are_drawn_with_a_fallback_font(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if not set(_style._font_families()) - {"DejaVu Sans", "Noto Sans"}:
        pytest.skip(
            "no CJK font that matplotlib finds (e.g. apt-get install fonts-wqy-microhei, "
            "then delete matplotlib's fontlist-*.json cache)"
        )
    z, means = profile_frames()
    z.columns = means.columns = ["顧客期間", "支出", "recency_days"]
    names = {0: "大口顧客", 1: "お得意様", 2: "Épargnants"}
    with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
        fig, caught = drawn_with_warnings(
            lambda: static.profile_heatmap(z, means, names=names), tmp_path / "cjk.png"
        )
    assert [w for w in caught if "missing from font" in w] == []
    assert [r.getMessage() for r in caplog.records] == []  # no "findfont: ..."
    label = fig.axes[0].get_yticklabels()[0]
    assert label.get_text() == "大口顧客"
    assert label.get_fontfamily() == list(_style._font_families())
    # Outside the figure functions matplotlib's defaults are untouched.
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]


@pytest.mark.parametrize("three_d", [True, False])
def test_scatter_axes_points_and_legend(tmp_path: Path, three_d: bool) -> None:
    frame = points(three_d=three_d)
    axis_labels = [HOSTILE, "PC 2", "PC 3"][: 3 if three_d else 2]
    fig = static.scatter_3d(
        frame, axis_labels=axis_labels, names=NAMES, title="kmeans: segments", note="300 shown"
    )
    ax = fig.axes[0]
    assert ax.name == ("3d" if three_d else "rectilinear")
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    if three_d:
        drawn = sum(len(c._offsets3d[0]) for c in scatters)  # type: ignore[attr-defined]
    else:
        drawn = sum(len(c.get_offsets()) for c in scatters)
    assert drawn == len(frame)
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        mpl_text(NAMES[g]) for g in (0, 1, 2, -1, -2)
    ]
    assert ax.get_xlabel() == mpl_text(HOSTILE)
    assert "300 shown" in texts(fig)
    save_and_check(fig, tmp_path / "scatter.png")


def test_scatter_unusual_customers_look_different() -> None:
    fig = static.scatter_3d(points(three_d=False), axis_labels=["a", "b"], names=NAMES, title="t")
    noise, outliers = fig.axes[0].collections[-2:]
    assert matplotlib.colors.to_hex(noise.get_edgecolor()[0]) == NOISE_COLOUR
    assert matplotlib.colors.to_hex(outliers.get_edgecolor()[0]) == OUTLIER_COLOUR
    assert len(outliers.get_facecolor()) == 0  # hollow diamonds
    assert noise.get_paths()[0] != fig.axes[0].collections[0].get_paths()[0]


def test_scatter_long_name_is_shortened_and_unnamed_noise_gets_default() -> None:
    frame = points(three_d=False)
    names = {0: "x" * 80, 1: "_starts with underscore", 2: "two"}
    fig = static.scatter_3d(frame, axis_labels=["a", "b"], names=names, title="t")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0] == "x" * 39 + "…"
    assert labels[1] == "_starts with underscore"  # not dropped as a private label
    assert labels[3:] == ["Unusual customers (noise)", "Unusual customers (outliers)"]


def test_scatter_rejects_missing_columns() -> None:
    with pytest.raises(ValueError, match="group"):
        static.scatter_3d(points().drop(columns="group"), axis_labels="xyz", names={}, title="t")


def test_criteria_elbow_marks_chosen_k(tmp_path: Path) -> None:
    fig = static.criteria_curves(kmeans_criteria(), method="kmeans")
    elbow, silhouette = fig.axes
    assert dashed_x(elbow) == [5.0]
    assert dashed_x(silhouette) == [5.0]
    assert texts(fig).count("chosen k = 5") == 2
    # The NaN silhouette at k = 5 is left out, the rest plotted.
    assert len(silhouette.lines[0].get_xdata()) == 6
    save_and_check(fig, tmp_path / "criteria.png")


def test_criteria_survives_all_nan_silhouette() -> None:
    criteria = kmeans_criteria().assign(silhouette=np.nan)
    fig = static.criteria_curves(criteria, method="agglomerative")
    assert "Silhouette not available\nfor these candidates" in texts(fig)
    assert dashed_x(fig.axes[1]) == [5.0]


def test_criteria_gmm_one_line_per_covariance_type(tmp_path: Path) -> None:
    rows = [
        (k, cov, 1000.0 - 10 * k + k * k + (7.0 if cov == "diag" else 0.0), 0.3 + 0.01 * k)
        for k in range(2, 8)
        for cov in ("full", "diag")
    ]
    criteria = pd.DataFrame(rows, columns=["k", "covariance_type", "bic", "silhouette"])
    criteria["chosen"] = (criteria["k"] == 5) & (criteria["covariance_type"] == "full")
    fig = static.criteria_curves(criteria, method="gmm")
    bic_ax, silhouette_ax = fig.axes
    labelled = [line.get_label() for line in bic_ax.lines if not line.get_label().startswith("_")]
    assert labelled == ["full", "diag", "chosen"]
    star = next(line for line in bic_ax.lines if line.get_label() == "chosen")
    assert (float(star.get_xdata()[0]), float(star.get_ydata()[0])) == (5.0, 975.0)
    assert dashed_x(bic_ax) == [5.0]
    assert "chosen k = 5 (full)" in texts(fig)
    assert len(silhouette_ax.lines[0].get_xdata()) == 6  # the full covariance type only
    save_and_check(fig, tmp_path / "gmm.png")


def test_criteria_dbscan_sorted_by_eps(tmp_path: Path) -> None:
    criteria = pd.DataFrame(
        {
            "eps": [0.5, 0.3, 0.4, 0.8],
            "n_segments_found": [3, 5, 4, 1],
            "noise_share": [0.05, 0.2, 0.1, 0.01],
            "silhouette": [np.nan] * 4,
            "chosen": [False, False, True, False],
        }
    )
    fig = static.criteria_curves(criteria, method="dbscan")
    found, noise = fig.axes
    assert list(found.lines[0].get_xdata()) == [0.3, 0.4, 0.5, 0.8]
    assert list(found.lines[0].get_ydata()) == [5, 4, 3, 1]
    assert dashed_x(found) == dashed_x(noise) == [0.4]
    assert "chosen eps = 0.4" in texts(fig)
    save_and_check(fig, tmp_path / "dbscan.png")


def test_criteria_read_back_from_csv(tmp_path: Path) -> None:
    """k_selection.csv mixes methods: Int64 k with gaps, 'True'/'False' text read back."""
    dbscan = pd.DataFrame(
        {"eps": [0.3, 0.4], "n_segments_found": [4, 3], "noise_share": [0.1, 0.05]}
    )
    table = pd.concat(
        [kmeans_criteria().assign(method="kmeans"), dbscan.assign(method="dbscan", chosen=[1, 0])]
    )
    table.to_csv(tmp_path / "k_selection.csv", index=False)
    read = pd.read_csv(tmp_path / "k_selection.csv", dtype={"chosen": str})
    fig = static.criteria_curves(read[read["method"] == "kmeans"], method="kmeans")
    assert dashed_x(fig.axes[0]) == [5.0]
    fig = static.criteria_curves(read[read["method"] == "dbscan"], method="dbscan")
    assert dashed_x(fig.axes[0]) == [0.3]


def test_criteria_rejects_unknown_shape() -> None:
    with pytest.raises(ValueError, match="need k and inertia"):
        static.criteria_curves(pd.DataFrame({"k": [2, 3], "chosen": [True, False]}), method="x")


def test_k_distance_curve_sorted_with_eps_line(tmp_path: Path) -> None:
    distances = np.random.default_rng(1).gamma(2.0, 0.2, size=10_000)
    fig = static.k_distance_curve(list(distances), eps=0.41, min_samples=5)
    ax = fig.axes[0]
    curve = np.asarray(ax.lines[0].get_ydata(), dtype=float)
    assert np.all(np.diff(curve) >= 0)
    assert curve[0] == distances.min() and curve[-1] == distances.max()
    assert len(curve) <= 4000  # drawn from evenly spaced ranks
    assert dashed_y(ax) == [0.41]
    assert "eps = 0.41" in texts(fig)
    assert "5th nearest neighbour" in ax.get_ylabel()
    save_and_check(fig, tmp_path / "k_distance.png")


def test_dendrogram_cut_gives_k_segments(tmp_path: Path) -> None:
    X = np.random.default_rng(2).normal(size=(120, 3))
    tree = linkage(X, method="ward")
    fig = static.dendrogram(tree, k=5)
    ax = fig.axes[0]
    (cut,) = dashed_y(ax)
    assert tree[-5, 2] < cut < tree[-4, 2]
    assert len(np.unique(fcluster(tree, t=cut, criterion="distance"))) == 5
    assert ax.get_title() == "Ward dendrogram (top 30 branches); cut into 5 segments"
    save_and_check(fig, tmp_path / "dendrogram.png")
    with pytest.raises(ValueError, match="k must be between"):
        static.dendrogram(tree, k=500)


def test_silhouette_plot_bands_skip_noise(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    labels = rng.choice([0, 1, 2, -1], size=400)
    values = rng.uniform(-0.2, 0.8, size=400)
    fig = static.silhouette_plot(values, labels, names=NAMES, average=0.31, note="400 customers")
    ax = fig.axes[0]
    assert len(ax.collections) == 3  # one band per segment, noise skipped
    assert [t.get_text() for t in ax.get_yticklabels()] == [mpl_text(NAMES[g]) for g in (0, 1, 2)]
    assert dashed_x(ax) == [0.31]
    assert "400 customers" in texts(fig)
    save_and_check(fig, tmp_path / "silhouette.png")


def test_silhouette_plot_without_segments() -> None:
    fig = static.silhouette_plot(
        np.zeros(3), np.array([-1, -1, -1]), names={}, average=float("nan")
    )
    assert "No silhouette: no customer is in a segment" in texts(fig)


def test_importance_bars_most_important_on_top(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    importance = pd.DataFrame(
        {
            "feature": [HOSTILE, *(f"feature_{i}" for i in range(19))],
            "permutation_mean": rng.uniform(0, 0.3, 20),
            "permutation_std": rng.uniform(0, 0.02, 20),
            "rf_importance": rng.uniform(0, 1, 20),
        }
    )
    fig = static.importance_bars(importance, method="kmeans", accuracy=0.98, top=15)
    ax = fig.axes[0]
    bars = sorted((p for p in ax.patches if isinstance(p, Rectangle)), key=lambda p: -p.get_y())
    assert len(bars) == 15
    widths = [bar.get_width() for bar in bars]
    expected = importance.sort_values("permutation_mean", ascending=False).head(15)
    assert widths == pytest.approx(list(expected["permutation_mean"]))
    ticks = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in ticks] == [mpl_text(f) for f in expected["feature"]]
    assert "surrogate accuracy 98%" in fig.get_suptitle()
    save_and_check(fig, tmp_path / "importance.png")


def test_importance_bars_one_bar_per_group_of_correlated_features(tmp_path: Path) -> None:
    group = "income + spending + visits"
    importance = pd.DataFrame(
        {
            "feature": ["income", "spending", "visits", HOSTILE, "age"],
            "rf_importance": [0.3, 0.2, 0.1, 0.3, 0.1],
            "permutation_mean": [0.004, 0.002, 0.0, 0.12, -0.01],
            "permutation_std": [0.01, 0.01, 0.01, 0.02, 0.01],
            "feature_group": [group, group, group, HOSTILE, "age"],
            "group_permutation_mean": [0.41, 0.41, 0.41, 0.12, -0.01],
            "group_permutation_std": [0.03, 0.03, 0.03, 0.02, 0.01],
        }
    )
    fig = static.importance_bars(importance, method="kmeans", accuracy=0.97)
    ax = fig.axes[0]
    bars = sorted((p for p in ax.patches if isinstance(p, Rectangle)), key=lambda p: -p.get_y())
    # The group's drop shuffled together, not its members' near-zero drops alone.
    assert [bar.get_width() for bar in bars] == pytest.approx([0.41, 0.12, -0.01])
    ticks = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in ticks] == ["income + 2 more", mpl_text(HOSTILE), "age"]
    # The members the axis shortens are named on the bar.
    assert "income, spending, visits" in texts(fig)
    save_and_check(fig, tmp_path / "importance_groups.png")


def test_importance_bars_empty_table() -> None:
    empty = pd.DataFrame(
        columns=["feature", "permutation_mean", "permutation_std", "rf_importance"]
    )
    fig = static.importance_bars(empty, method="kmeans", accuracy=None)
    assert "No importance: fewer than two segments" in texts(fig)
    assert not any("accuracy" in t for t in texts(fig))


def test_profile_heatmap_annotates_real_means(tmp_path: Path) -> None:
    z, means = profile_frames()
    fig = static.profile_heatmap(z, means[list(reversed(means.columns))], names=NAMES)
    ax = fig.axes[0]
    # Cells in row-major order; means are aligned to z's columns whatever their order.
    # About three significant digits; whole figures whole ("-3", not "-3.00").
    assert [t.get_text() for t in ax.texts] == [format_figure(v) for v in means.to_numpy().ravel()]
    assert [t.get_text() for t in ax.get_yticklabels()] == [mpl_text(NAMES[g]) for g in (0, 1, 2)]
    assert ax.get_xticklabels()[0].get_text() == mpl_text(HOSTILE)
    low, high = ax.collections[0].get_clim()
    assert (low, high) == (-3.0, 3.0)  # symmetric, capped although one z is 7
    save_and_check(fig, tmp_path / "heatmap.png")


@pytest.mark.parametrize("kind", ["box", "violin"])
def test_driver_distributions_one_panel_per_column(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(5)
    groups = rng.choice([0, 1, -1, -2], size=300)
    columns = [HOSTILE, "income", "age", "recency", "ignored fifth"]
    values = pd.DataFrame(rng.gamma(2.0, 100.0, size=(300, 5)), columns=columns)
    fig = static.driver_distributions(values, groups, names=NAMES, kind=kind)
    assert len(fig.axes) == 4
    assert [ax.get_ylabel() for ax in fig.axes] == [mpl_text(c) for c in columns[:4]]
    ticks = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_xticklabels()]
    assert ticks == [mpl_text(NAMES[g]) for g in (0, 1, -1, -2)]
    save_and_check(fig, tmp_path / f"drivers_{kind}.png")


def test_driver_distributions_long_tail_on_log_scale() -> None:
    rng = np.random.default_rng(7)
    values = pd.DataFrame({"spend": rng.lognormal(3.0, 1.5, 2000), "age": rng.normal(40, 9, 2000)})
    fig = static.driver_distributions(values, rng.choice([0, 1], 2000), names=NAMES)
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "linear"]
    assert [ax.get_ylabel() for ax in fig.axes] == ["spend (log scale)", "age"]


def test_large_segments_drawn_from_their_quantiles() -> None:
    values = np.random.default_rng(8).normal(size=100_000)
    codes = np.repeat([0, 1], [90_000, 10_000])
    kept, groups = static._order_statistics(values, codes)
    assert np.bincount(groups).tolist() == [20_000, 10_000]
    big = kept[groups == 0]
    assert (big[0], big[-1]) == (values[:90_000].min(), values[:90_000].max())
    assert np.median(big) == pytest.approx(np.median(values[:90_000]), abs=1e-3)


def test_driver_distributions_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        static.driver_distributions(pd.DataFrame({"a": [1.0]}), np.array([0]), names={}, kind="x")


@pytest.mark.parametrize("with_value", [True, False])
def test_segment_sizes_bars_and_percentages(tmp_path: Path, with_value: bool) -> None:
    profiles = pd.DataFrame(
        {
            "segment": [-1, 1, 0],
            "name": [NAMES[-1], NAMES[1], NAMES[0]],
            "share": [0.06, 0.34, 0.60],
            "value_share": [0.004, 0.2, 0.796],
        }
    )
    if not with_value:
        profiles = profiles.drop(columns="value_share")
    fig = static.segment_sizes(profiles, method="kmeans")
    ax = fig.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == (6 if with_value else 3)
    ticks = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in ticks] == [mpl_text(NAMES[g]) for g in (0, 1, -1)]
    assert {"60%", "34%", "6%"} <= set(texts(fig))
    assert ("0.4%" in texts(fig)) == with_value
    save_and_check(fig, tmp_path / "sizes.png")


def every_figure() -> dict[str, Callable[[], Figure]]:
    """One small call of each figure function, by name."""
    z, means = profile_frames()
    groups = np.random.default_rng(6).choice([0, 1], size=60)
    importance = pd.DataFrame(
        {"feature": ["a", "b"], "permutation_mean": [0.2, 0.1], "permutation_std": [0.01, 0.02]}
    )
    sizes = pd.DataFrame({"segment": [0, 1], "name": ["a", "b"], "share": [0.7, 0.3]})
    return {
        "scatter_3d": lambda: static.scatter_3d(
            points(), axis_labels="xyz", names=NAMES, title="t"
        ),
        "criteria_curves": lambda: static.criteria_curves(kmeans_criteria(), method="kmeans"),
        "k_distance_curve": lambda: static.k_distance_curve(np.arange(50.0), eps=9, min_samples=4),
        "dendrogram": lambda: static.dendrogram(linkage(np.arange(40.0).reshape(20, 2)), k=3),
        "silhouette_plot": lambda: static.silhouette_plot(
            np.linspace(0, 1, 60), groups, names={}, average=0.5
        ),
        "importance_bars": lambda: static.importance_bars(importance, method="m", accuracy=0.9),
        "profile_heatmap": lambda: static.profile_heatmap(z, means, names=NAMES),
        "driver_distributions": lambda: static.driver_distributions(
            pd.DataFrame({"a": np.arange(60.0)}), groups, names={}
        ),
        "segment_sizes": lambda: static.segment_sizes(sizes, method="m"),
    }


# The 3D axes and seaborn's colour bar are where layout passes disagreed; 2D is the common case.
@pytest.mark.parametrize("name", ["scatter_3d", "criteria_curves", "profile_heatmap"])
def test_same_figure_same_bytes(tmp_path: Path, name: str) -> None:
    make = every_figure()[name]
    fig = make()
    first, second, again = (tmp_path / f"{name}_{copy}.png" for copy in "abc")
    static.save_figure(fig, first)
    static.save_figure(fig, second)
    static.save_figure(make(), again)
    assert first.read_bytes() == second.read_bytes() == again.read_bytes()
    assert b"Software" not in first.read_bytes()
    assert b"atplotlib" not in first.read_bytes()


def test_save_figure_creates_no_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        static.save_figure(
            static.k_distance_curve([1.0], eps=1, min_samples=2), tmp_path / "x" / "a.png"
        )
    assert list(tmp_path.iterdir()) == []


def test_input_not_modified() -> None:
    frame, criteria = points(), kmeans_criteria()
    z, means = profile_frames()
    before = [frame.copy(), criteria.copy(), z.copy(), means.copy()]
    static.scatter_3d(frame, axis_labels="xyz", names=NAMES, title="t")
    static.criteria_curves(criteria, method="kmeans")
    static.profile_heatmap(z, means, names=NAMES)
    for now, then in zip([frame, criteria, z, means], before, strict=True):
        pd.testing.assert_frame_equal(now, then)


def test_no_pyplot_state(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    backend, open_before = matplotlib.get_backend(), plt.get_fignums()
    figures = {name: make() for name, make in every_figure().items()}
    for name in ("scatter_3d", "profile_heatmap", "driver_distributions"):
        static.save_figure(figures[name], tmp_path / f"{name}.png")
    assert plt.get_fignums() == open_before == []
    assert matplotlib.get_backend() == backend


def test_log_scale_ticks_are_plain_text_and_no_font_is_looked_for(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Long-tailed spend: the panel gets a log axis, whose default tick labels ("$10^{3}$")
    # are mathematics; drawing them looked for the STIX and Computer Modern fonts, and a
    # matplotlib without them logged "findfont: Font family ['STIXGeneral'] not found"
    # twenty times on a run of 10,000 customers.
    rng = np.random.default_rng(0)
    spend = pd.DataFrame({"spend": rng.lognormal(4, 1.5, 600), "age": rng.normal(40, 9, 600)})
    groups = np.repeat([0, 1, 2], 200)
    with caplog.at_level(logging.DEBUG, logger="matplotlib.font_manager"):
        fig = static.driver_distributions(spend, groups, names={})
        save_and_check(fig, tmp_path / "drivers.png")
    assert fig.axes[0].get_yscale() == "log"
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert "100" in labels and "1000" in labels
    shown = [t.get_text() for t in fig.findobj(Text) if t.get_visible()]
    assert not [t for t in shown if matplotlib.cbook.is_math_text(t)]
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_png_is_opaque_rgb_at_110_dpi(tmp_path: Path) -> None:
    path = tmp_path / "sizes.png"
    static.save_figure(every_figure()["segment_sizes"](), path)
    with Image.open(path) as image:
        assert image.mode == "RGB"
        assert round(image.info["dpi"][0]) == _style.DPI
