"""Which method's segmentation to recommend, by a documented rule.

Eligible: methods with at least two segments and at most ``MAX_NOISE_SHARE`` of the
customers left as noise. Every eligible method is ranked by four criteria — the
coverage-adjusted silhouette (silhouette × share of customers in a segment, so leaving
hard customers out as noise earns nothing), Calinski–Harabasz (higher is better),
Davies–Bouldin (lower) and bootstrap stability (mean adjusted Rand index, higher). The
recommended method has the best mean rank; ties go to the more stable method, then to the
earlier method in the registry (simpler first).
"""

from __future__ import annotations

import math

import pandas as pd

from segmentkit.methods import MethodResult

__all__ = ["MAX_NOISE_SHARE", "recommend_method"]

#: Methods leaving more customers than this as noise are not recommended.
MAX_NOISE_SHARE = 0.25


def _value(number: float | None) -> float:
    return math.nan if number is None else float(number)


def recommend_method(results: dict[str, MethodResult]) -> tuple[str, str]:
    """Return the recommended method and a one-sentence reason.

    Parameters
    ----------
    results : dict
        Method name to result, in registry order.

    Returns
    -------
    method : str
    reason : str
    """
    names = list(results)
    if len(names) == 1:
        return names[0], "the only method run"
    rows = {}
    excluded = []
    for name, result in results.items():
        metrics = result.metrics
        if metrics.n_segments < 2 or metrics.silhouette is None:
            excluded.append(f"{name} ({metrics.reason or 'fewer than two segments'})")
            continue
        if metrics.noise_share > MAX_NOISE_SHARE:
            excluded.append(f"{name} ({metrics.noise_share:.0%} noise)")
            continue
        stability = result.stability.mean_ari if result.stability is not None else None
        rows[name] = {
            "silhouette": metrics.silhouette * (1 - metrics.noise_share),
            "calinski_harabasz": _value(metrics.calinski_harabasz),
            "davies_bouldin": _value(metrics.davies_bouldin),
            "stability": _value(stability),
        }
    if not rows:
        return names[0], "no method produced a usable segmentation; showing " + names[0]
    table = pd.DataFrame.from_dict(rows, orient="index")
    ranks = pd.DataFrame(
        {
            "silhouette": table["silhouette"].rank(ascending=False, na_option="bottom"),
            "calinski_harabasz": table["calinski_harabasz"].rank(
                ascending=False, na_option="bottom"
            ),
            "davies_bouldin": table["davies_bouldin"].rank(ascending=True, na_option="bottom"),
            "stability": table["stability"].rank(ascending=False, na_option="bottom"),
        }
    )
    mean_rank = ranks.mean(axis=1)
    stability = table["stability"].fillna(-1.0)
    order = sorted(
        table.index,
        key=lambda n: (float(mean_rank[n]), -float(stability[n]), names.index(str(n))),
    )
    best = str(order[0])
    reason = (
        f"best mean rank {mean_rank[best]:.2f} over silhouette, Calinski–Harabasz, "
        "Davies–Bouldin and stability"
    )
    if len(order) > 1:
        reason += f" (next: {order[1]} {mean_rank[order[1]]:.2f})"
    if excluded:
        reason += "; not eligible: " + ", ".join(excluded)
    return best, reason
