"""DBSCAN with ``eps`` read off the knee of the k-distance curve.

Step 1: ``min_samples`` defaults to twice the number of model features (Sander et al.'s
rule, at least 4). Step 2: every row's distance to its ``min_samples``-th nearest
neighbour (itself included, as scikit-learn counts), sorted, is the k-distance curve; its
knee (kneed, convex and increasing) is the first ``eps`` candidate. Step 3: further
candidates scale the knee ``eps`` up and down. Step 4: the knee candidate is used unless
it is degenerate (all noise, a single segment, or more than ``dbscan.max_noise_share``
noise); then the nearest non-degenerate candidate is used, and the log says why.

Above ``dbscan.max_rows`` rows DBSCAN is fitted on a seeded sample, and every other
customer joins the segment of its nearest core point within ``eps`` (else noise) — the
same rule that scores new customers, searched exactly but pruned (``core_index``).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN
from sklearn.neighbors import NearestNeighbors

from segmentkit.errors import DataError
from segmentkit.methods.core_index import CoreIndex, build_core_index, nearest_core
from segmentkit.methods.search import Search, SearchContext, criteria_row, seeded_rows
from segmentkit.progress import add_steps, advance
from segmentkit.selection.knee import find_knee

__all__ = ["CorePointAssigner", "fit_dbscan", "k_distances", "search_dbscan"]

logger = logging.getLogger(__name__)

#: Multipliers of the knee eps tried after it, nearest first.
EPS_STEPS = (1.0, 1.25, 0.8, 1.5, 0.67, 2.0, 0.5, 3.0)


class CorePointAssigner:
    """Place rows in the segment of their nearest core point within ``eps`` (else ``-1``).

    Parameters
    ----------
    core_points : numpy.ndarray of shape (m, d)
        The fitted DBSCAN's core samples.
    core_labels : numpy.ndarray of shape (m,)
        Their segments.
    eps : float
        The neighbourhood radius.
    """

    def __init__(self, core_points: np.ndarray, core_labels: np.ndarray, eps: float) -> None:
        self.core_points = np.asarray(core_points, dtype=float)
        self.core_labels = np.asarray(core_labels, dtype=int)
        self.eps = float(eps)

    def __getstate__(self) -> dict[str, Any]:
        # The search index is rebuilt when needed, so saved models hold plain arrays.
        return {k: v for k, v in self.__dict__.items() if k != "index_"}

    def _index(self) -> CoreIndex:
        index = self.__dict__.get("index_")
        if index is None:
            index = build_core_index(self.core_points, self.core_labels)
            self.index_ = index
        return index

    def distance(self, X: np.ndarray) -> np.ndarray:
        """Return each row's distance to its nearest core point within ``eps`` (else ``inf``)."""
        if not len(self.core_points):
            return np.full(len(X), np.inf)
        return nearest_core(self._index(), X, self.eps, exact_distance=True)[1]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Return the segment of each row, ``-1`` when no core point is within ``eps``."""
        if not len(self.core_points):
            return np.full(len(X), -1, dtype=int)
        return nearest_core(self._index(), X, self.eps)[0]


def _min_samples(X: np.ndarray, context: SearchContext) -> int:
    configured = context.clustering.dbscan.min_samples
    return int(configured) if configured is not None else max(4, 2 * X.shape[1])


def k_distances(X: np.ndarray, min_samples: int) -> np.ndarray:
    """Return the sorted distance of every row to its ``min_samples``-th neighbour.

    The row itself counts as the first neighbour, as in scikit-learn's DBSCAN.
    """
    neighbours = NearestNeighbors(n_neighbors=min(min_samples, len(X))).fit(X)
    distances, _ = neighbours.kneighbors(X)
    return np.sort(distances[:, -1])


def _knee_eps(curve: np.ndarray) -> float:
    found = find_knee(np.arange(len(curve)), curve, curve="convex", direction="increasing")
    if found is None:
        # No knee: fall back to the 90th percentile of the curve, and say so.
        logger.warning("dbscan: the k-distance curve has no knee; eps from its 90th percentile")
        return float(np.quantile(curve, 0.9))
    return float(curve[int(found)])


def _dbscan(
    X: np.ndarray, eps: float, min_samples: int, context: SearchContext
) -> tuple[np.ndarray, np.ndarray]:
    """Return DBSCAN's labels of ``X`` and the positions of its core points.

    The search's last candidate is the chosen one, so the final fit of the same rows with
    the same eps reads the run's kept result instead of running DBSCAN again.
    """

    def fit() -> tuple[np.ndarray, np.ndarray]:
        model = DBSCAN(eps=eps, min_samples=min_samples).fit(X)
        labels = np.asarray(model.labels_, dtype=int)
        core = np.asarray(model.core_sample_indices_)
        # Shared by the search and the fit: neither may change what the other reads.
        labels.setflags(write=False)
        core.setflags(write=False)
        return labels, core

    return context.shared.trees("dbscan").get(X, (eps, min_samples), fit)


def _rows(X: np.ndarray, context: SearchContext) -> np.ndarray | None:
    return seeded_rows(len(X), context.clustering.dbscan.max_rows, context.seed)


def _degenerate(labels: np.ndarray, max_noise: float) -> str | None:
    segments = len(np.unique(labels[labels >= 0]))
    noise = float(np.mean(labels < 0))
    if segments == 0:
        return "every customer is noise"
    if segments == 1:
        return "a single segment"
    if noise > max_noise:
        return f"{noise:.0%} noise (more than dbscan.max_noise_share = {max_noise:.0%})"
    return None


def search_dbscan(X: np.ndarray, context: SearchContext) -> Search:
    """Read ``eps`` off the k-distance knee and step away from it past degenerate results."""
    settings = context.clustering.dbscan
    rows_used = _rows(X, context)
    X_fit = X if rows_used is None else X[rows_used]
    notes: list[str] = []
    if rows_used is not None:
        notes.append(
            f"dbscan: fitted on a seeded sample of {len(X_fit):,} of {len(X):,} rows (its "
            "memory grows with the neighbours of every row); the rest joined their nearest "
            "core point"
        )
        logger.warning("%s", notes[0])
    min_samples = _min_samples(X_fit, context)
    if len(X_fit) <= min_samples:
        raise DataError(
            f"dbscan needs more than min_samples = {min_samples} customers, got {len(X_fit)}",
            hint="remove dbscan from --methods or lower clustering.dbscan.min_samples",
        )
    # The k-distance curve, then at most one step per eps candidate (usually one).
    add_steps(2)
    curve = k_distances(X_fit, min_samples)
    advance()
    knee = settings.eps if settings.eps is not None else _knee_eps(curve)
    steps = (1.0,) if settings.eps is not None else EPS_STEPS
    rows, chosen = [], None
    for position, step in enumerate(steps):
        if position:
            add_steps(1)
        eps = float(knee * step)
        if eps <= 0:
            advance()
            continue
        labels = _dbscan(X_fit, eps, min_samples, context)[0]
        problem = _degenerate(labels, settings.max_noise_share)
        rows.append(
            {
                "eps": eps,
                "eps_source": "knee" if step == 1.0 else f"knee x {step:g}",
                "min_samples": min_samples,
                "n_segments_found": len(np.unique(labels[labels >= 0])),
                "noise_share": float(np.mean(labels < 0)),
                "degenerate": problem or "",
                **criteria_row(X_fit, labels, context),
            }
        )
        if problem is None and chosen is None:
            chosen = len(rows) - 1
        elif problem is not None:
            notes.append(f"dbscan: eps = {eps:.4g} ({rows[-1]['eps_source']}) rejected: {problem}")
            # A step of the search, not a problem: only its outcome is a warning (below).
            logger.info("%s", notes[-1])
        advance()
        if chosen is not None:
            break
    table = pd.DataFrame(rows)
    if chosen is None:
        chosen = len(rows) - 1
        summary = (
            f"eps = {rows[chosen]['eps']:.4g}: every candidate was degenerate "
            f"({rows[chosen]['degenerate']}); this is not a usable segmentation"
        )
        # Not logged here: run_method logs every search's summary once, as a warning
        # when the segmentation is not usable.
    elif settings.eps is not None:
        summary = f"eps = {knee:.4g} was fixed by the user"
    else:
        summary = (
            f"eps = {rows[chosen]['eps']:.4g} from the knee of the {min_samples}-distance curve"
            + ("" if chosen == 0 else f" x {EPS_STEPS[chosen]:g} (nearer candidates degenerate)")
        )
    params = {"eps": float(rows[chosen]["eps"]), "min_samples": min_samples}
    step_curve = max(1, len(curve) // 200)
    return Search(
        table.assign(chosen=np.arange(len(table)) == chosen),
        params,
        summary,
        not bool(rows[chosen]["degenerate"]),
        tuple(notes),
        {"k_distance": curve[::step_curve].tolist(), "k_distance_knee": knee},
    )


def fit_dbscan(
    X: np.ndarray, params: dict[str, Any], context: SearchContext
) -> tuple[np.ndarray, CorePointAssigner]:
    """Fit DBSCAN with the chosen ``eps`` (on a sample when large) and assign every row."""
    rows_used = _rows(X, context)
    X_fit = X if rows_used is None else X[rows_used]
    labels_sample, core = _dbscan(X_fit, float(params["eps"]), int(params["min_samples"]), context)
    assigner = CorePointAssigner(X_fit[core], labels_sample[core], float(params["eps"]))
    # A border point within eps of two segments' core points gets whichever segment
    # DBSCAN reached first; the nearest core point decides instead, the rule scoring
    # uses, so a saved model puts every training customer back in its own segment.
    return assigner.predict(X), assigner
