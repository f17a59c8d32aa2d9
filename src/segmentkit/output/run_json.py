"""The content of ``run.json``: everything needed to understand and repeat a run.

Its keys are part of the output contract (docs/outputs.md). Nothing here refits or
writes: :func:`run_summary` only reads a finished ``SegmentationRun``; the caller
(:func:`segmentkit.output.export.save_run`) writes it.
"""

from __future__ import annotations

from typing import Any

from segmentkit import __version__
from segmentkit.backends.base import AssignedRows
from segmentkit.describe.outcomes import outcome_population
from segmentkit.describe.profile_statistics import typical_statistic
from segmentkit.describe.segment_counts import segment_sizes
from segmentkit.pipeline import SegmentationRun, library_versions
from segmentkit.selection.criteria import ClusterMetrics
from segmentkit.selection.stability import describe as describe_stability

__all__ = ["run_summary"]


def _explanation(run: SegmentationRun, method: str) -> dict[str, Any]:
    importance = run.importance[method]
    profiles = run.profiles[method]
    return {
        "surrogate_accuracy": importance.surrogate_accuracy,
        "n_train": importance.n_train,
        "n_test": importance.n_test,
        "note": importance.note,
        "headline": importance.headline(),
        "top_drivers": [
            {
                "feature": row.feature,
                "permutation_mean": row.permutation_mean,
                "rf_importance": row.rf_importance,
                "feature_group": row.feature_group,
            }
            for row in importance.table.head(5).itertuples()
        ],
        "groups": [
            {
                "feature_group": str(group["feature_group"]),
                "features": [str(f) for f in group["features"]],
                "permutation_mean": float(group["permutation_mean"]),
                "permutation_std": float(group["permutation_std"]),
            }
            for group in importance.groups().head(5).to_dict("records")
        ],
        "segments": {
            str(segment): {
                "name": profiles.names[segment],
                "drivers": [
                    {"feature": d.feature, "value": d.value, "z": round(d.z, 4)}
                    for d in profiles.drivers[segment][:3]
                ],
                "recommendations": [
                    {"rule": rule, "action": action}
                    for rule, action in profiles.recommendations[segment]
                ],
            }
            for segment in profiles.names
        },
    }


def _population(run: SegmentationRun) -> dict[str, Any]:
    """Whole-population figures the profiles are compared with, in original units."""
    cleaned = run.prepared.cleaned
    numeric = {}
    for column in run.prepared.numeric_features:
        values = cleaned[column].dropna()
        numeric[column] = {
            "mean": float(values.mean()) if len(values) else None,
            "median": float(values.median()) if len(values) else None,
            "min": float(values.min()) if len(values) else None,
            "max": float(values.max()) if len(values) else None,
            # The figure "higher" and "lower" are read on (profiles.typical_statistic).
            "typical": typical_statistic(column, run.prepared.log_columns),
        }
    return {
        "numeric": numeric,
        "categorical": list(run.prepared.categorical_features),
        "outcomes": outcome_population(run.prepared.outcomes),
    }


def _metrics(metrics: ClusterMetrics) -> dict[str, Any]:
    """Return a segmentation's criteria as ``run.json`` records them."""
    return {
        "silhouette": metrics.silhouette,
        "silhouette_sample": metrics.silhouette_sample,
        "calinski_harabasz": metrics.calinski_harabasz,
        "davies_bouldin": metrics.davies_bouldin,
        "nn_separation": metrics.nn_separation,
        "noise_share": metrics.noise_share,
        "note": metrics.reason,
    }


def run_summary(
    run: SegmentationRun,
    *,
    scatter: dict[str, Any] | None = None,
    figures: bool = True,
    agreement: dict[str, Any] | None = None,
    assigned: AssignedRows | None = None,
) -> dict[str, Any]:
    """Return the content of ``run.json``: everything needed to understand and repeat the run.

    Parameters
    ----------
    run : SegmentationRun
        The finished run.
    scatter : dict, optional
        How the scatter plots were drawn (axes, sample), when figures were written.
    figures : bool
        Whether the PNGs and ``report.html`` were written (``--no-figures`` skips them).
    agreement : dict, optional
        Method to how often the saved model places the run's customers where the run did
        (:attr:`SegmentationModel.agreement <segmentkit.scoring.model.SegmentationModel>`).
    assigned : AssignedRows, optional
        Every input row's segment, when the input holds more rows than the run (the
        Dask backend): its row counts, segment sizes and sections replace the run's own.
    """
    prepared = run.prepared
    all_sizes = assigned.segment_sizes if assigned is not None else None
    return {
        "segmentkit_version": __version__,
        "seed": run.config.seed,
        "input": run.source,
        "rows": prepared.row_counts if assigned is None or assigned.rows is None else assigned.rows,
        "columns": {
            name: {"role": role.role, "reason": role.reason}
            for name, role in prepared.roles.items()
        },
        "features": prepared.features,
        "model_features": prepared.model_feature_names,
        "log_transformed": prepared.log_columns,
        "outlier_fences": {c: list(b) for c, b in prepared.outlier_bounds.items()},
        "cleaning": [
            {"rule": s.rule, "column": s.column, "detail": s.detail, "rows": s.rows}
            for s in prepared.steps
        ],
        "methods": {
            method: _method_summary(run, method, agreement or {}, all_sizes)
            for method in run.results
        },
        "population": _population(run),
        "value_columns": list(run.profiles[run.recommended].value_columns),
        "scatter": scatter,
        "figures": figures,
        "previous": None
        if run.previous is None
        else {
            "folder": run.previous,
            "methods": {m: identity.describe() for m, identity in run.identities.items()},
            "customers_in_both": int(
                run.migration.loc[run.migration["method"] == run.recommended, "customers"].sum()
            )
            if run.migration is not None
            else 0,
        },
        # The names people chose (profiles.names, --previous, segmentkit rename); every
        # other name in the outputs is segmentkit's own.
        "segment_names": {
            method: {str(segment): name for segment, name in names.items()}
            for method, names in run.chosen_names.items()
        },
        "skipped_methods": run.skipped,
        "recommended": {
            "method": run.recommended,
            "reason": run.recommendation_reason,
            "stable": run.recommendation_stable,
        },
        "alternative": None
        if run.alternative is None
        else {
            "method": run.alternative.method,
            "params": run.alternative.result.params,
            "n_segments": run.alternative.result.n_segments,
            "summary": run.alternative.summary(),
            "stability_by_k": {str(k): v for k, v in run.alternative.tried.items()},
            "metrics": _metrics(run.alternative.result.metrics),
            "stability": describe_stability(run.alternative.result.stability),
        },
        "timings_seconds": run.timings,
        "library_versions": library_versions(),
        "config": run.config.to_dict(),
        **(assigned.sections if assigned is not None else {}),
    }


def _method_summary(
    run: SegmentationRun,
    method: str,
    agreement: dict[str, Any],
    all_sizes: dict[str, dict[int, int]] | None,
) -> dict[str, Any]:
    """Return ``run.json`` → ``methods`` → ``method``."""
    result = run.results[method]
    own_sizes = {str(s): n for s, n in segment_sizes(result.labels).items()}
    entry = {
        "params": result.params,
        "n_segments": result.n_segments,
        "selection": result.choice_summary,
        "criteria_agree": result.criteria_agree,
        "segment_sizes": own_sizes
        if all_sizes is None
        else {str(s): n for s, n in all_sizes[method].items()},
        "notes": list(result.notes),
        "metrics": _metrics(result.metrics),
        "stability": describe_stability(result.stability),
        "explanation": _explanation(run, method),
        "rules": run.rules[method].describe() if method in run.rules else None,
        "curves": result.curves,
    }
    if method in agreement:
        entry["scoring_agreement"] = agreement[method]
    if all_sizes is not None:
        # Added after the others: scripts reading segment_sizes get every input row.
        entry["sample_segment_sizes"] = own_sizes
    return entry
