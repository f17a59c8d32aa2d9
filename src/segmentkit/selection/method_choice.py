"""Which method's segmentation to recommend, by a rule that is fair across methods.

Step 1 — eligible: at least two segments, at most ``MAX_NOISE_SHARE`` of the customers
left as noise, and a near-neighbour separation that can be measured.
Step 2 — stable: bootstrap stability (mean adjusted Rand index over resamples) of at
least ``min_stability`` (0.6). Stability is a gate, not a tiebreak: an unstable
segmentation is not recommended while a stable one exists. When none is stable, the
most stable eligible method is shown, and the run says in the terminal, the report and
``run.json`` that no stable segmentation was found.
Step 3 — best separated: among the stable methods, the highest near-neighbour
separation (:mod:`segmentkit.selection.validity`) times the share of customers in a segment (so
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

from segmentkit.methods import MethodResult
from segmentkit.selection.stability import FINE_STABILITY, MIN_STABILITY

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
#: A finer segmentation replaces the best separated one when this share of customers
#: sits in segments that lie inside one of its segments ...
NESTED_SHARE = 0.9
#: ... it is at least FINE_STABILITY stable (defined beside the resampling, which stops
#: only once a stability is clear of it) ...
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
    >>> nested_share(np.array([0, 0, 1, 1]), np.array([0, 0, -1, -1]))
    0.5
    """
    fine, coarse = np.asarray(fine, dtype=np.int64), np.asarray(coarse, dtype=np.int64)
    # Customers in the coarse segmentation's noise lie inside no segment of it.
    if not (coarse != -1).any():
        return 0.0
    # The crosstab as counts of (fine, coarse) pairs in one pass (pandas' crosstab took
    # seconds at 10,000,000 customers); a number no customer has adds a row or column of
    # zeros, which changes no maximum.
    fine_low, coarse_low = int(fine.min()), min(int(coarse.min()), -1)
    width = max(int(coarse.max()), -1) - coarse_low + 1
    height = int(fine.max()) - fine_low + 1
    pairs = (fine - fine_low) * width + (coarse - coarse_low)
    table = np.bincount(pairs, minlength=height * width).reshape(height, width)
    inside = np.delete(table, -1 - coarse_low, axis=1)
    return float(inside.max(axis=1).sum() / len(fine))


def _known(value: float | None, default: float) -> float:
    """``value``, or ``default`` when it was not measured (0.0 is a measurement)."""
    return default if value is None else value


def _at_least(stability: float | None, gate: float) -> bool:
    """Whether a stability passes ``gate``; unmeasured stability does not block."""
    return stability is None or stability >= gate


def _scores(results: dict[str, MethodResult], eligible: list[str]) -> dict[str, float]:
    """Separation × share of customers in a segment, for every eligible method.

    An infinite separation (no near neighbour across a boundary) counts as ten times the
    largest finite one (at least ``10 * CLEAN_GAP``), so that the share of customers left
    as noise still weighs: DBSCAN cannot reach infinity by calling the customers between
    groups noise.
    """
    separations = {n: float(results[n].metrics.nn_separation or 0.0) for n in eligible}
    finite = [v for v in separations.values() if math.isfinite(v)]
    ceiling = max(10 * CLEAN_GAP, 10 * max(finite, default=0.0))
    return {
        n: (ceiling if math.isinf(v) else v) * (1 - results[n].metrics.noise_share)
        for n, v in separations.items()
    }


def _text(value: float | None) -> str:
    if value is None:
        return "not measurable"
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
        and _at_least(stabilities[name], FINE_STABILITY)
        and scores[name] >= FINE_SEPARATION * min(scores[best], CLEAN_GAP)
        and nested_share(results[name].labels, coarse.labels) >= NESTED_SHARE
    ]
    if not finer:
        return None
    names = list(results)
    # The most reproducible view of the finer structure; then the better separated.
    return min(finer, key=lambda n: (-_known(stabilities[n], 1.0), -scores[n], names.index(n)))


def _by_silhouette(
    results: dict[str, MethodResult], excluded: list[str], min_stability: float
) -> Recommendation:
    """Fallback when no separation can be measured (tiny data, tiny segments)."""
    names = list(results)
    usable = [
        n
        for n in names
        if results[n].metrics.n_segments >= 2
        and results[n].metrics.silhouette is not None
        and results[n].metrics.noise_share <= MAX_NOISE_SHARE
    ]
    if not usable:
        return Recommendation(
            names[0],
            "no method produced a usable segmentation ("
            + ", ".join(excluded)
            + f"); showing {names[0]}",
            stable=False,
        )
    stable = [n for n in usable if _at_least(_stability(results[n]), min_stability)]
    pool = stable or usable

    def coverage_silhouette(name: str) -> float:
        metrics = results[name].metrics
        return float(metrics.silhouette or 0.0) * (1 - metrics.noise_share)

    best = max(pool, key=lambda n: (coverage_silhouette(n), -names.index(n)))
    reason = (
        "near-neighbour separation could not be measured (segments too small for "
        f"their near neighbours); best silhouette {coverage_silhouette(best):.3g}"
    )
    if not stable:
        reason = "no stable segmentation was found; " + reason
    return Recommendation(best, reason, stable=bool(stable))


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
        return _by_silhouette(results, excluded, min_stability)
    scores = _scores(results, eligible)
    stabilities = {name: _stability(results[name]) for name in eligible}
    stable = [n for n in eligible if _at_least(stabilities[n], min_stability)]
    not_eligible = f"; not eligible: {', '.join(excluded)}" if excluded else ""
    if not stable:
        best = max(eligible, key=lambda n: (_known(stabilities[n], 0.0), -names.index(n)))
        most = _known(stabilities[best], 0.0)
        return Recommendation(
            best,
            f"no stable segmentation was found: every method's bootstrap stability is below "
            f"{min_stability:.2f}; the most stable is shown ({most:.2f}), "
            f"treat its segments as tentative{not_eligible}",
            stable=False,
        )
    order = sorted(stable, key=lambda n: (-scores[n], -_known(stabilities[n], 0.0), names.index(n)))
    best = order[0]

    def separation(name: str) -> str:
        return _text(results[name].metrics.nn_separation)

    if len(names) == 1:
        reason = "the only method run"
    else:
        reason = f"best near-neighbour separation {separation(best)} among the stable methods"
        if len(order) > 1:
            reason += f" (next: {order[1]} {separation(order[1])})"
        finer = _finer(results, best, stable, scores, stabilities)
        if finer is not None:
            fine = results[finer]
            shaky = fine.stability.unstable_segments if fine.stability is not None else ()
            # A whole segmentation can be stable while some of its segments are not: the
            # reason says both, and what to use instead of the shaky ones.
            reason = (
                f"{finer}'s {fine.n_segments} segments lie inside {best}'s "
                f"{results[best].n_segments}, the best separated (near-neighbour separation "
                f"{separation(best)}): the same structure, seen closer; they are stable "
                f"{'as a whole ' if shaky else ''}({_known(stabilities[finer], 1.0):.2f}) "
                f"and keep enough of the separation ({separation(finer)}, at least a fifth)"
                + (
                    f", but {'segment' if len(shaky) == 1 else 'segments'} "
                    f"{', '.join(map(str, shaky))} "
                    f"{'does' if len(shaky) == 1 else 'do'} not survive resampling: treat "
                    f"{'it' if len(shaky) == 1 else 'them'} as provisional, or use {best}'s "
                    f"{results[best].n_segments} (segments.csv column segment_{best})"
                    if shaky
                    else ""
                )
            )
            best = finer
    unstable = [n for n in eligible if n not in stable]
    if unstable:
        reason += (
            f"; not recommended, as unstable (stability below {min_stability:.2f}): "
            + ", ".join(f"{n} ({_known(stabilities[n], 0.0):.2f})" for n in unstable)
        )
    return Recommendation(best, reason + not_eligible, stable=True)
