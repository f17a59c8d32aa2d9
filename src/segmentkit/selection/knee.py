"""kneed's Kneedle, loaded without the plotting module it does not need here.

kneed imports ``matplotlib.pyplot`` when it is first imported, for plotting helpers
segmentkit never calls: half a second (a full second in a worker process that has none
of matplotlib yet) in every process that chooses k, and a run without figures would load
matplotlib for nothing. While kneed loads, pyplot is hidden; kneed's own plotting is then
given a pyplot that imports itself on first use, so ``KneeLocator.plot_knee`` still
works for whoever calls it.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["find_knee"]

_PYPLOT = "matplotlib.pyplot"
#: One loader at a time: the hidden pyplot is process-wide while kneed loads.
_LOADING = threading.Lock()


class _PyplotOnFirstUse:
    """``matplotlib.pyplot``, imported when an attribute is first asked for."""

    def __getattr__(self, name: str) -> Any:
        import matplotlib.pyplot

        return getattr(matplotlib.pyplot, name)


def _load_kneed() -> None:
    with _LOADING:
        if "kneed" in sys.modules or _PYPLOT in sys.modules:
            return
        # A None entry makes `import matplotlib.pyplot` raise ImportError, which kneed
        # expects when matplotlib is absent. Another thread importing pyplot meanwhile
        # would get that error too: within segmentkit only the k search loads kneed.
        sys.modules[_PYPLOT] = None  # type: ignore[assignment]
        try:
            import kneed.knee_locator
        finally:
            if sys.modules.get(_PYPLOT, False) is None:
                del sys.modules[_PYPLOT]
        if importlib.util.find_spec("matplotlib") is not None:
            kneed.knee_locator.plt = _PyplotOnFirstUse()
            kneed.knee_locator._has_matplotlib = True


def find_knee(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    curve: str,
    direction: str,
) -> float | None:
    """Return the x of the knee Kneedle finds on the curve ``y(x)``, or ``None``.

    Parameters
    ----------
    x, y
        The curve, ``x`` increasing.
    curve : {"convex", "concave"}
    direction : {"increasing", "decreasing"}
        Passed to :class:`kneed.KneeLocator` (its defaults describe a concave increasing
        curve).

    Examples
    --------
    >>> find_knee([2, 3, 4, 5, 6, 7], [100.0, 40.0, 15.0, 12.0, 10.5, 9.5],
    ...      curve="convex", direction="decreasing")
    4.0
    """
    _load_kneed()
    from kneed import KneeLocator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kneed warns when there is no knee
        found = KneeLocator(x, y, curve=curve, direction=direction).knee
    return None if found is None else float(found)
