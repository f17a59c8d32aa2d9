"""Scale benchmark: the full default run (every method, report) on synthetic customers.

Prints wall time, peak memory and per-stage timings for each size, and the ratio of each
size's time per customer to the smallest size's (run first in the same process): a ratio
near 1 means linear scaling. Where it fits (``--baseline-max``, 20,000 rows by default:
full silhouette and Ward are O(n²)), the same data also goes through a literal notebook
pipeline — scikit-learn defaults, one ColumnTransformer, K-Means for k = 2..10 with the
full silhouette, Ward at the chosen k — and the script prints segmentkit's time as a ratio
of the notebook's and the adjusted Rand index between the two K-Means segmentations.

Usage::

    python bench/bench_scale.py 100000 1000000          # sizes to run
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_scale.py ...

Not part of the test suite; never asserts a time.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from baselines import notebook_labels
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_info

from segmentkit.config import Config
from segmentkit.datasets import make_customers
from segmentkit.output.export import save_run
from segmentkit.pipeline import run_segmentation
from segmentkit.progress import RunProgress, run_stages
from segmentkit.resources import stage_memory


def _peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux; the process peak so far (monotone across sizes).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _rss() -> int:
    with Path("/proc/self/statm").open(encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class StageMemory:
    """Samples the process's memory every 20 ms: the peak growth during each stage."""

    def __init__(self, progress: RunProgress) -> None:
        self.progress = progress
        self.extra: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        stage, start = None, 0
        while not self._stop.wait(0.02):
            current, rss = self.progress.current, _rss()
            if current != stage:
                stage, start = current, rss
            if stage is not None:
                self.extra[stage] = max(self.extra.get(stage, 0), rss - start)

    def __enter__(self) -> StageMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def notebook_baseline(frame: pd.DataFrame, seed: int) -> tuple[float, np.ndarray]:
    """The pipeline a notebook would write (in this process); its time and K-Means labels."""
    start = time.perf_counter()
    labels = notebook_labels(frame, seed)
    return time.perf_counter() - start, labels


def run_once(
    n_rows: int, folder: Path, seed: int, baseline_max: int, output_format: str = "csv"
) -> dict[str, float]:
    data = make_customers(n_rows, n_segments=5, seed=seed)
    config = Config().with_overrides({"seed": seed, "output": {"format": output_format}})
    progress = RunProgress(run_stages(config.clustering.methods, read=False))
    start = time.perf_counter()
    with StageMemory(progress) as memory:
        run = run_segmentation(data.frame, config, progress=progress)
        fitted = time.perf_counter()
        with progress.stage("write"):
            save_run(run, folder / f"out-{n_rows}")
    done = time.perf_counter()
    shapes = {"prepare": data.frame.shape}
    estimates = {
        stage: stage_memory(stage, *shapes.get(stage, run.prepared.X.shape), config)
        for stage in memory.extra
    }
    baseline: dict[str, float] = {}
    if n_rows <= baseline_max:
        seconds, labels = notebook_baseline(data.frame, seed)
        ours = run.results["kmeans"].labels
        kept = run.prepared.kept_rows
        baseline = {
            "baseline_s": seconds,
            "vs_baseline": (done - start) / seconds,
            "ari_vs_baseline": adjusted_rand_score(labels[kept], ours),
        }
    return {
        **baseline,
        "rows": n_rows,
        "segment_s": fitted - start,
        "write_s": done - fitted,
        "total_s": done - start,
        "peak_gib": _peak_rss_gib(),
        **{f"stage:{k}": v for k, v in progress.timings.items()},
        **{f"memory:{k}": v / 2**30 for k, v in memory.extra.items()},
        **{f"estimate:{k}": v / 2**30 for k, v in estimates.items()},
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="+", type=int, help="numbers of customers, smallest first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=20_000,
        help="largest size the O(n²) notebook baseline also runs on",
    )
    parser.add_argument(
        "--format",
        choices=["csv", "parquet"],
        default="csv",
        help="form of the segments table (output.format): segments.csv or segments.parquet",
    )
    args = parser.parse_args(argv)
    blas = [f"{p.get('internal_api')}:{p.get('architecture')}" for p in threadpool_info()]
    print(f"thread pools: {', '.join(blas)}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_rows in sorted(args.sizes):
            result = run_once(n_rows, Path(tmp), args.seed, args.baseline_max, args.format)
            results.append(result)
            base = results[0]
            ratio = (result["total_s"] / result["rows"]) / (base["total_s"] / base["rows"])
            stages = ", ".join(
                f"{k.removeprefix('stage:')} {v:.1f}s"
                for k, v in result.items()
                if k.startswith("stage:")
            )
            memory = ", ".join(
                f"{k.removeprefix('memory:')} +{v:.2f} GiB "
                f"(estimated {result['estimate:' + k.removeprefix('memory:')]:.2f})"
                for k, v in result.items()
                if k.startswith("memory:")
            )
            print(
                f"{n_rows:>10,} rows: {result['total_s']:7.1f} s total "
                f"(segment {result['segment_s']:.1f} s, write {result['write_s']:.1f} s), "
                f"peak {result['peak_gib']:.2f} GiB, time per customer x{ratio:.2f} of "
                f"{base['rows']:,}-row run\n    {stages}\n    memory growth: {memory}",
                flush=True,
            )
            if "baseline_s" in result:
                print(
                    f"    notebook pipeline: {result['baseline_s']:.1f} s; segmentkit takes "
                    f"x{result['vs_baseline']:.2f} of it (for five methods, stability, "
                    f"importance and the report); K-Means ARI with it "
                    f"{result['ari_vs_baseline']:.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main(sys.argv[1:])
