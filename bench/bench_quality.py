"""Quality benchmark: does the default pipeline choose the right segmentation?

Three parts, each printed per case and then summarised:

(a) the labelled clustering benchmark sets in ``../shared/datasets/clustering-benchmark``
    (a tuning split of Gagolewski's benchmark suite; AGPL-3.0, research use: read from
    ``../shared`` and skipped when absent, never copied here). Per set: the reference k,
    the recommended method and its k, the adjusted Rand index (ARI, noise points of the
    reference left out) of the recommended segmentation, the best of segmentkit's own
    methods, and a literal notebook (StandardScaler, K-Means with k = silhouette argmax
    over 2..10);
(b) planted customer-like data (``segmentkit.datasets.make_customers``) with
    distractors: a random three-level category, noise columns;
(c) facts about real files in ``../shared/datasets`` (Mall, bank, Wholesale).

Each case runs the default cleaning and every default method with stability, then the
recommendation: everything that decides the segmentation, without explanations, report
or output files. Not part of the test suite; never asserts.

Usage::

    python bench/bench_quality.py                # everything (about 15 minutes, 2 cores)
    python bench/bench_quality.py --part a --jobs 2
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from segmentkit.config import Config
from segmentkit.datasets import make_customers
from segmentkit.pipeline import segment_prepared
from segmentkit.prepare.transformer import prepare
from segmentkit.selection.method_choice import nested_share, recommend_method

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
BENCHMARK = SHARED / "clustering-benchmark"


def segment(frame: pd.DataFrame, config: Config) -> dict:
    """The default decision on ``frame``: labels of every method and the recommendation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare(frame, config)
        results, _ = segment_prepared(prepared, config)
        recommendation = recommend_method(
            results, min_stability=config.clustering.stability.min_stability
        )
    return {
        "prepared": prepared,
        "results": results,
        "recommended": recommendation.method,
        "stable": recommendation.stable,
        "reason": recommendation.reason,
    }


def notebook_labels(X: np.ndarray, seed: int = 0) -> np.ndarray:
    """The literal notebook: scale, K-Means for k = 2..10, keep the silhouette argmax."""
    X = StandardScaler().fit_transform(X)
    best, best_labels = -2.0, np.zeros(len(X), dtype=int)
    sample = np.random.default_rng(seed).choice(len(X), min(len(X), 3_000), replace=False)
    for k in range(2, 11):
        labels = KMeans(k, n_init=10, random_state=seed).fit_predict(X)
        score = silhouette_score(X[sample], labels[sample])
        if score > best:
            best, best_labels = score, labels
    return best_labels


def load_set(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(path, "rt") as handle:
        X = np.loadtxt(handle, ndmin=2)
    with gzip.open(str(path).replace(".data.gz", ".labels0.gz"), "rt") as handle:
        y = np.loadtxt(handle, dtype=int)
    return X, y


OVERRIDES: dict = {}


def one_benchmark_set(path: str) -> dict:
    X, y = load_set(Path(path))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    started = time.perf_counter()
    run = segment(frame, Config().with_overrides(OVERRIDES))
    kept = run["prepared"].kept_rows
    truth = y[kept]
    scored = truth > 0
    aris = {
        name: adjusted_rand_score(truth[scored], result.labels[scored])
        for name, result in run["results"].items()
    }
    best_method = max(aris, key=aris.__getitem__)
    recommended = run["recommended"]
    return {
        "set": f"{Path(path).parent.name}/{Path(path).name.removesuffix('.data.gz')}",
        "n": len(X),
        "k_ref": len(np.unique(y[y > 0])),
        "method": recommended,
        "k": run["results"][recommended].n_segments,
        "stable": run["stable"],
        "ari": aris[recommended],
        "best_method": best_method,
        "best_ari": aris[best_method],
        "notebook_ari": adjusted_rand_score(y[y > 0], notebook_labels(X)[y > 0]),
        **{f"ari_{name}": value for name, value in aris.items()},
        **{f"k_{name}": result.n_segments for name, result in run["results"].items()},
        **{
            f"{what}_{name}": value
            for name, result in run["results"].items()
            for what, value in (
                ("separation", result.metrics.nn_separation),
                ("silhouette", result.metrics.silhouette),
                ("noise", result.metrics.noise_share),
                ("stability", result.stability.mean_ari if result.stability else None),
            )
        },
        **{
            f"agree_{a}_{b}": adjusted_rand_score(ra.labels, rb.labels)
            for (a, ra), (b, rb) in combinations(run["results"].items(), 2)
        },
        **{
            f"nested_{a}_{b}": nested_share(ra.labels, rb.labels)
            for a, ra in run["results"].items()
            for b, rb in run["results"].items()
            if a != b
        },
        "seconds": time.perf_counter() - started,
    }


def _init_worker(overrides: dict) -> None:
    OVERRIDES.update(overrides)


def part_a(jobs: int, overrides: dict) -> pd.DataFrame | None:
    paths = sorted(str(p) for p in BENCHMARK.glob("*/*.data.gz"))
    if not paths:
        print(f"(a) skipped: {BENCHMARK} not found")
        return None
    print(f"(a) {len(paths)} labelled benchmark sets, {jobs} worker(s)")
    with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(overrides,)) as pool:
        rows = []
        for row in pool.map(one_benchmark_set, paths):
            rows.append(row)
            unstable = "" if row["stable"] else " (unstable)"
            print(
                f"  {row['set']:<28} n={row['n']:>6,} k_ref={row['k_ref']:>2} "
                f"chosen {row['method']:<13} k={row['k']:>2}{unstable} "
                f"ARI {row['ari']:.2f} | best {row['best_method']:<13} {row['best_ari']:.2f} "
                f"| notebook {row['notebook_ari']:.2f} | {row['seconds']:.0f} s",
                flush=True,
            )
    table = pd.DataFrame(rows)
    small = table[table["k_ref"] <= 10]
    methods = [c.removeprefix("ari_") for c in table.columns if c.startswith("ari_")]
    print("  summary:")
    print(
        f"    recommended   median ARI {table['ari'].median():.3f}   "
        f"reference k found {int((small['k'] == small['k_ref']).sum())} of {len(small)} "
        "(sets with reference k <= 10)"
    )
    print(f"    notebook      median ARI {table['notebook_ari'].median():.3f}")
    print(f"    best method   median ARI {table['best_ari'].median():.3f}")
    for name in methods:
        found = int((small[f"k_{name}"] == small["k_ref"]).sum())
        print(
            f"    {name:<13} median ARI {table[f'ari_{name}'].median():.3f}   "
            f"k found {found} of {len(small)}"
        )
    chosen_best = (table["method"] == table["best_method"]) | (
        table["ari"] >= table["best_ari"] - 0.02
    )
    near_best = int(chosen_best.sum())
    print(f"    recommended within 0.02 of the best method on {near_best} of {len(table)}")
    print(f"    recommended by method: {table['method'].value_counts().to_dict()}")
    return table


def _with_distractors(kind: str, n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    data = make_customers(n, n_segments=5, seed=seed, missing_rate=0.0, outlier_rate=0.01)
    frame = data.frame.copy()
    rng = np.random.default_rng(seed + 1)
    if kind in ("random category", "all"):
        frame["loyalty_tier"] = rng.choice(["bronze", "silver", "gold"], size=n)
    if kind in ("noise columns", "all"):
        frame["noise_a"] = rng.normal(size=n)
        frame["noise_b"] = rng.uniform(size=n)
    return frame, data.labels


def part_b() -> None:
    print("(b) planted customer data (5 segments, make_customers) with distractors")
    for kind in ("none", "random category", "noise columns", "all"):
        for n in (2_000, 20_000):
            frame, truth = _with_distractors(kind, n, seed=7)
            started = time.perf_counter()
            run = segment(frame, Config())
            result = run["results"][run["recommended"]]
            ari = adjusted_rand_score(truth[run["prepared"].kept_rows], result.labels)
            print(
                f"  {kind:<16} n={n:>6,}: {run['recommended']:<13} k={result.n_segments} "
                f"ARI {ari:.2f} ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )


def part_c() -> None:
    print("(c) real files")
    mall = SHARED / "mall_customers" / "Mall_Customers.csv"
    if mall.exists():
        frame = pd.read_csv(mall)
        runs = [segment(frame, Config().with_overrides({"seed": s})) for s in range(5)]
        chosen = [(r["recommended"], r["results"][r["recommended"]].n_segments) for r in runs]
        labels = [r["results"][r["recommended"]].labels for r in runs]
        pairwise = [adjusted_rand_score(a, b) for a, b in combinations(labels, 2)]
        print(f"  Mall, all columns, seeds 0-4: {chosen}; pairwise ARI min {min(pairwise):.3f}")
        config = Config().with_overrides(
            {"input.features": ["Annual Income (k$)", "Spending Score (1-100)"]}
        )
        run = segment(frame, config)
        kmeans = run["results"]["kmeans"]
        print(
            f"  Mall, income + spending: recommended {run['recommended']} "
            f"k={run['results'][run['recommended']].n_segments}; K-Means k={kmeans.n_segments} "
            f"sizes {sorted(np.bincount(kmeans.labels[kmeans.labels >= 0]).tolist())}"
        )
    bank = SHARED / "bank_marketing" / "bank.csv"
    if bank.exists():
        frame = pd.read_csv(bank, sep=";")
        run = segment(frame, Config().with_overrides({"input.exclude": ["duration", "y"]}))
        outliers = run["prepared"].is_outlier
        for name, result in run["results"].items():
            only_outliers = [
                int(s)
                for s in np.unique(result.labels[result.labels >= 0])
                if outliers[result.labels == s].all()
            ]
            stability = result.stability.mean_ari if result.stability else float("nan")
            tag = " <- recommended" if name == run["recommended"] else ""
            print(
                f"  bank: {name:<13} k={result.n_segments} stability {stability:.2f} "
                f"outlier-only segments {only_outliers or 'none'}{tag}"
            )
        print(f"  bank: {int(outliers.sum())} outliers flagged; {run['reason']}")
    wholesale = SHARED / "wholesale_customers" / "Wholesale customers data.csv"
    if wholesale.exists():
        frame = pd.read_csv(wholesale)
        spend = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
        config = Config().with_overrides(
            {"input.features": spend, "clustering.k": 2, "clustering.methods": ["kmeans"]}
        )
        run = segment(frame, config)
        truth = frame["Channel"].to_numpy()[run["prepared"].kept_rows]
        ari = adjusted_rand_score(truth, run["results"]["kmeans"].labels)
        print(f"  Wholesale, six spend columns, K-Means k=2: channel ARI {ari:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["a", "b", "c", "all"], default="all")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--csv", type=Path, help="write part (a)'s per-set table here")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="config override for part (a), e.g. clustering.genie.gini_threshold=0.5",
    )
    args = parser.parse_args()
    overrides = {key: json.loads(value) for key, value in (o.split("=", 1) for o in args.set)}
    started = time.perf_counter()
    if args.part in ("a", "all"):
        table = part_a(args.jobs, overrides)
        if table is not None and args.csv:
            table.to_csv(args.csv, index=False)
    if args.part in ("b", "all"):
        part_b()
    if args.part in ("c", "all"):
        part_c()
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
