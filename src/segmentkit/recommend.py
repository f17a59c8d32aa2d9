"""Which method's segmentation to recommend, by a rule that is fair across methods.

Step 1 — eligible: at least two segments, at most ``MAX_NOISE_SHARE`` of the customers
left as noise, and a near-neighbour separation that can be measured.
Step 2 — stable: bootstrap stability (mean adjusted Rand index over resamples) of at
least ``min_stability`` (0.6). Stability is a gate, not a tiebreak: an unstable
segmentation is not recommended while a stable one exists. When none is stable, the
most stable eligible method is shown, and the run says in the terminal, the report and
``run.json`` that no stable segmentation was found.
Step 3 — best separated: among the stable methods, the highest near-neighbour
separation (:mod:`segmentkit.validity`) times the share of customers in a segment (so
leaving hard customers out as noise earns nothing). Unlike silhouette,
Calinski–Harabasz and Davies–Bouldin, which reward compact round segments and so K-Means,
it judges each customer against its nearest neighbours, so an elongated or nested
segment found by Genie or DBSCAN competes on equal terms.
Step 4 — finer structure: separation favours the coarsest clean split (two far-apart
groups of segments beat the segments themselves). So a stable method whose segments
lie inside the best-separated ones (at least ``NESTED_SHARE`` of the customers), with
more of them, stability of at least ``FINE_STABILITY`` and at least ``FINE_SEPARATION``
of the best separation (counted at most as ``CLEAN_GAP``), is preferred: the same
structure, seen closer. Of several, the most stable wins (then the better separated).
Ties go to the more stable method, then the registry order.

Measured on the labelled benchmark (``bench/bench_quality.py``; the thresholds are round
values from a flat region: neighbouring values change the median ARI by a few hundredths).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentkit.methods import MethodResult

__all__ = [
    "CLEAN_GAP",
    "FINE_SEPARATION",
    "FINE_STABILITY",
    "MAX_NOISE_SHARE",
    "MIN_STABILITY",
    "NESTED_SHARE",
    "Recommendation",
    "nested_share",
    "recommend_method",
]

#: Methods leaving more customers than this as noise are not recommended.
MAX_NOISE_SHARE = 0.25
#: Default stability gate (Hennig's clusterboot reads values below 0.6 as not trustworthy).
MIN_STABILITY = 0.6
#: A finer segmentation replaces the best separated one when this share of customers
#: sits in segments that lie inside one of its segments ...
NESTED_SHARE = 0.9
#: ... it is at least this stable ...
FINE_STABILITY = 0.8
#: ... and keeps at least this share of the best separation ...
FINE_SEPARATION = 0.2
#: ... counted at most as a clean gap: at 1 the nearest neighbours across a boundary are
#: as far apart as the farthest within a segment; more (up to infinite, no neighbour
#: across at all) adds nothing to the comparison.
CLEAN_GAP = 1.0


@dataclass(frozen=True)
class Recommendation:
    """The recommended method and why.

    Attributes
    ----------
    method : str
        The method whose segments become ``segment``.
    reason : str
        One sentence for the terminal, the report and ``run.json``.
    stable : bool
        Whether it passed the stability gate (``True`` when stability was not measured).
    """

    method: str
    reason: str
    stable: bool = True


def _stability(result: MethodResult) -> float | None:
    stability = result.stability
    if stability is None or math.isnan(stability.mean_ari):
        return None
    return float(stability.mean_ari)


def nested_share(fine: np.ndarray, coarse: np.ndarray) -> float:
    """Share of customers whose ``fine`` segment lies mostly in their ``coarse`` one.

    For each fine segment, the customers it shares with the coarse segment holding most
    of it; summed and divided by all customers (noise counts as a segment of its own).

    Examples
    --------
    >>> nested_share(np.array([0, 0, 1, 1, 2, 2]), np.array([0, 0, 0, 0, 1, 1]))
    1.0
    >>> nested_share(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]))
    0.5
    """
    table = pd.crosstab(np.asarray(fine), np.asarray(coarse))
    return float(table.max(axis=1).sum() / table.to_numpy().sum())


def _score(result: MethodResult) -> float:
    separation = result.metrics.nn_separation
    assert separation is not None  # noqa: S101 - only called on eligible methods
    return separation * (1 - result.metrics.noise_share)


def _text(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.3g}"


def _finer(
    results: dict[str, MethodResult],
    best: str,
    stable: list[str],
    scores: dict[str, float],
    stabilities: dict[str, float | None],
) -> str | None:
    """Return the best-separated stable method that shows ``best``'s structure closer."""
    coarse = results[best]
    finer = [
        name
        for name in stable
        if results[name].n_segments > coarse.n_segments
        and (stabilities[name] or 1.0) >= FINE_STABILITY
        and scores[name] >= FINE_SEPARATION * min(scores[best], CLEAN_GAP)
        and nested_share(results[name].labels, coarse.labels) >= NESTED_SHARE
    ]
    if not finer:
        return None
    names = list(results)
    # The most reproducible view of the finer structure; then the better separated.
    return min(finer, key=lambda n: (-(stabilities[n] or 1.0), -scores[n], names.index(n)))


def recommend_method(
    results: dict[str, MethodResult], *, min_stability: float = MIN_STABILITY
) -> Recommendation:
    """Return the recommended method (see the module docstring for the rule).

    Parameters
    ----------
    results : dict
        Method name to result, in registry order.
    min_stability : float
        The stability gate.

    Returns
    -------
    Recommendation
    """
    names = list(results)
    eligible: list[str] = []
    excluded: list[str] = []
    for name, result in results.items():
        metrics = result.metrics
        if metrics.n_segments < 2:
            excluded.append(f"{name} ({metrics.reason or 'fewer than two segments'})")
        elif metrics.noise_share > MAX_NOISE_SHARE:
            excluded.append(f"{name} ({metrics.noise_share:.0%} noise)")
        elif metrics.nn_separation is None:
            excluded.append(f"{name} (segments too small to measure their separation)")
        else:
            eligible.append(name)
    if not eligible:
        # Nothing can be judged: keep the first method that has segments at all.
        usable = [n for n in names if results[n].metrics.n_segments >= 2] or names
        return Recommendation(
            usable[0],
            "no segmentation could be judged (" + ", ".join(excluded) + f"); showing {usable[0]}",
            stable=False,
        )
    scores = {name: _score(results[name]) for name in eligible}
    stabilities = {name: _stability(results[name]) for name in eligible}
    stable = [n for n in eligible if (stabilities[n] or min_stability) >= min_stability]
    not_eligible = f"; not eligible: {', '.join(excluded)}" if excluded else ""
    if not stable:
        best = max(eligible, key=lambda n: (stabilities[n] or 0.0, -names.index(n)))
        return Recommendation(
            best,
            f"no stable segmentation was found: every method's bootstrap stability is below "
            f"{min_stability:.2f}; the most stable is shown ({stabilities[best] or 0.0:.2f}), "
            f"treat its segments as tentative{not_eligible}",
            stable=False,
        )
    order = sorted(stable, key=lambda n: (-scores[n], -(stabilities[n] or 0.0), names.index(n)))
    best = order[0]
    if len(names) == 1:
        reason = "the only method run"
    else:
        reason = f"best near-neighbour separation {_text(scores[best])} among the stable methods"
        if len(order) > 1:
            reason += f" (next: {order[1]} {_text(scores[order[1]])})"
        finer = _finer(results, best, stable, scores, stabilities)
        if finer is not None:
            reason = (
                f"{finer}'s {results[finer].n_segments} segments lie inside {best}'s "
                f"{results[best].n_segments}, the best separated (near-neighbour separation "
                f"{_text(scores[best])}), and are stable ({stabilities[finer] or 1.0:.2f}) "
                f"and well separated ({_text(scores[finer])}): the same structure, seen closer"
            )
            best = finer
    unstable = [n for n in eligible if n not in stable]
    if unstable:
        reason += f"; unstable (stability below {min_stability:.2f}), not recommended: " + (
            ", ".join(f"{n} ({stabilities[n] or 0.0:.2f})" for n in unstable)
        )
    return Recommendation(best, reason + not_eligible, stable=True)
