"""Shared look of the static figures: sizes, colours, labels, and a byte-stable save.

Text taken from the data (column and segment names) goes through :func:`mpl_text`,
because matplotlib reads ``$...$`` as mathematics and can fail on it, and control
characters have no glyph in any font. Figures are built and saved with the installed
fonts of :data:`FONT_FALLBACKS`, so Chinese, Japanese or Korean names are not empty boxes.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from os import PathLike
from pathlib import Path
from typing import Any, ParamSpec

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager, patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from segmentkit.describe.naming import NOISE_NAME, OUTLIER_NAME
from segmentkit.describe.profile_statistics import UNUSUAL_SEGMENT

__all__ = ["FONT_FALLBACKS", "mpl_text", "save_figure"]

logger = logging.getLogger(__name__)
_P = ParamSpec("_P")


#: Resolution of saved PNGs: a 9 in figure is ~1,000 px, sharp on a laptop and in print.
DPI = 110
#: zlib level of the PNGs: level 6 (Pillow's default) makes them 2% smaller and takes 45%
#: longer to compress, level 9 five times longer (measured on the 29 PNGs of a Mall run).
PNG_COMPRESS_LEVEL = 3
#: Width of every figure in inches (two-panel figures get one more).
WIDTH = 9.0
#: Longest label drawn from the data; longer ones end in an ellipsis.
LABEL_LIMIT = 40
#: Names of the unusual customers when the caller's names give none.
UNUSUAL_NAMES = {-1: NOISE_NAME, UNUSUAL_SEGMENT: OUTLIER_NAME}
#: Colour of the chosen candidate, the cut and the average in every figure.
CHOSEN_COLOUR = "#c0392b"
#: Fonts a character is looked up in, in order, among those installed. DejaVu Sans (shipped
#: with matplotlib) has Latin, Greek, Cyrillic, Arabic and Hebrew but no Chinese, Japanese,
#: Korean, Thai or Indic scripts; the others are common Linux fonts that have them.
FONT_FALLBACKS = (
    "DejaVu Sans",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Noto Sans",
)
# C0 and C1 control characters and DEL ("\x13" in an export): no font has a glyph for them.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
# Sorted curves and silhouette bands longer than this are drawn from evenly spaced ranks:
# the shape is kept while the PNG stays small and quick to draw.
_MAX_CURVE_POINTS = 4000
# Constrained-layout passes before the layout is frozen (see save_figure). A colour bar's
# ticks change with its width, so a second pass moves things; a third moved no pixel in
# any figure of a Mall run, nor did a second in a figure without a colour bar.
_LAYOUT_PASSES = 2
_MAX_GROUP_POINTS = 20_000  # values per segment in a box or violin, see _order_statistics
_GREY = "#555555"
_MARK: dict[str, Any] = {"color": CHOSEN_COLOUR, "linestyle": "--", "linewidth": 1.2}
_TAG: dict[str, Any] = {"textcoords": "offset points", "color": CHOSEN_COLOUR, "fontsize": 9}
_TAG["bbox"] = {"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1}
# A white line with a dark rim shows on every segment colour, the near-black one included.
_HALO: dict[str, Any] = {"color": "white", "linewidth": 1.5}
_HALO["path_effects"] = [patheffects.withStroke(linewidth=3, foreground="#222222")]


def mpl_text(text: str) -> str:
    r"""Escape ``$`` so matplotlib shows text as written rather than as mathematics.

    Control characters other than the newline are dropped (tabs and other whitespace
    controls become a space): matplotlib would draw an empty box and warn "Glyph 19
    missing from font(s)".

    Parameters
    ----------
    text : str
        Text from the data: a column name, a segment name.

    Returns
    -------
    str
        The text with every ``$`` as ``\$``, which matplotlib draws as ``$``.

    Examples
    --------
    >>> mpl_text("Spend ($) $x$")
    'Spend (\\$) \\$x\\$'
    >>> mpl_text("net\x13\tspend")
    'net spend'
    """
    visible = _CONTROL.sub(lambda m: " " if m.group().isspace() else "", str(text))
    return visible.replace("$", r"\$")


def _label(text: object, limit: int = LABEL_LIMIT) -> str:
    # Newlines and tabs in a name would break the layout; long names crowd the axes.
    value = " ".join(str(text).split())
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return mpl_text(value)


def _group_order(groups: Any) -> list[int]:
    """Segments in number order, then noise (-1), then outliers (-2)."""
    return sorted({int(g) for g in np.asarray(groups).ravel()}, key=lambda g: (g < 0, abs(g)))


def _group_labels(
    groups: Sequence[int], names: Mapping[int, str], limit: int = LABEL_LIMIT
) -> dict[int, str]:
    """Escaped, shortened label of each group; distinct, as they serve as categories."""
    labels: dict[int, str] = {}
    for group in groups:
        name = names.get(group) or UNUSUAL_NAMES.get(group, f"Segment {group}")
        label = _label(name, limit)
        if label in labels.values():
            label = _label(name, limit - 6) + f" ({group})"
        labels[group] = label
    return labels


def _numeric(series: pd.Series) -> np.ndarray:
    """Floats with NaN for gaps: CSV columns arrive as Int64 with <NA>, or as text."""
    return np.asarray(pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan))


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # attaches itself, so text can be measured without pyplot
    return fig


def _message_figure(message: str, title: str = "") -> Figure:
    fig = _new_figure(WIDTH, 3.0)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, transform=ax.transAxes)
    ax.set_title(title)
    return fig


def _titles(fig: Figure, ax: Axes, title: str, note: str) -> None:
    fig.suptitle(_label(title, 90), fontsize=13)
    if note:
        ax.set_title(_label(note, 110), fontsize=9, color=_GREY)


def _tag(ax: Axes, text: str, xy: tuple[float, float], coords: tuple[str, str], **how: Any) -> None:
    ax.annotate(text, xy=xy, xycoords=coords, **{"xytext": (4, 4), **_TAG, **how})


def _mark_x(ax: Axes, x: float, text: str) -> None:
    """Dashed vertical line at ``x``, ``text`` beside its top, kept inside the axes."""
    ax.axvline(x, **_MARK)
    low, high = ax.get_xlim()
    right = high > low and (x - low) / (high - low) > 0.6
    _tag(ax, text, (x, 1), ("data", "axes fraction"), va="top", ha="right" if right else "left",
         xytext=(-4 if right else 4, -4))  # fmt: skip


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _percent(share: float) -> str:
    return f"{share:.1%}" if 0 < share < 0.01 else f"{share:.0%}"


def _regular(entry: font_manager.FontEntry) -> bool:
    """Whether ``entry`` is an upright face of normal weight (400), as labels are drawn."""
    weight = entry.weight
    weight = font_manager.weight_dict.get(weight, weight) if isinstance(weight, str) else weight
    return weight == 400 and entry.style == "normal"


@functools.cache
def _font_families() -> tuple[str, ...]:
    """Return the names in :data:`FONT_FALLBACKS` that matplotlib has a regular face of.

    Asking matplotlib for a font it does not have logs a "findfont" warning per text, and
    so does a font without a regular weight (WenQuanYi Zen Hei is "medium"): only the
    others are used. Cached: matplotlib itself lists the installed fonts once.
    """
    installed = {entry.name for entry in font_manager.fontManager.ttflist if _regular(entry)}
    return tuple(name for name in FONT_FALLBACKS if name in installed)


def _fonts() -> AbstractContextManager[None]:
    """Context in which new texts look each character up in the installed fallbacks.

    matplotlib (>= 3.6) falls back glyph by glyph along a text's family list, which the
    text takes from ``font.family`` when it is made (tick labels: when first drawn), so
    figures are built and saved inside this context. Nothing changes with DejaVu alone.
    """
    families = _font_families()
    if len(families) < 2:
        return nullcontext()
    return mpl.rc_context({"font.family": list(families)})


def _with_fonts(build: Callable[_P, Figure]) -> Callable[_P, Figure]:
    """Build the figure inside :func:`_fonts` (a decorator for the public figure functions)."""

    @functools.wraps(build)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Figure:
        with _fonts():
            return build(*args, **kwargs)

    return wrapper


def save_figure(fig: Figure, path: str | PathLike[str]) -> None:
    """Write ``fig`` as a PNG at 110 dpi; the same figure always gives the same bytes.

    Tick labels first drawn here get the installed fonts of :data:`FONT_FALLBACKS`, like
    every text of the figures this package builds. The layout is computed here and then
    kept: the figure is drawn once, and an opaque RGB PNG is written with a quick zlib
    level (see :data:`PNG_COMPRESS_LEVEL`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from this module (or any matplotlib figure).
    path : str or path-like
        Where to write; its folder must exist. An existing file is replaced.
    """
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    with _fonts():  # tick labels are made while drawing
        # Text is measured at the saved resolution, so the layout is that of the PNG.
        fig.set_dpi(DPI)
        fig.set_facecolor("white")
        engine = fig.get_layout_engine()
        if engine is not None:
            # Laid out until it settles, then frozen: saving does not lay out (and measure
            # every text) twice more, and a second save equals the first.
            colour_bar = any(ax.get_label() == "<colorbar>" for ax in fig.axes)
            for _ in range(_LAYOUT_PASSES if colour_bar else 1):
                engine.execute(fig)
            fig.set_layout_engine("none")
        canvas.draw()
    # The background is opaque white: RGB is a quarter less to compress than RGBA. Agg
    # draws the same pixels with or without a display, and the PNG records neither the
    # matplotlib version nor a date, so equal figures give equal bytes.
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    image.convert("RGB").save(path, format="png", compress_level=PNG_COMPRESS_LEVEL, dpi=(DPI, DPI))
    # The file name only: the folder is usually a temporary one, renamed when complete.
    logger.debug("figure written: %s", Path(path).name)
