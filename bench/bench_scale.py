"""Scale benchmark: the full default run (all four methods, report) on synthetic customers.

Prints wall time, peak memory and per-stage timings for each size, and the ratio of each
size's time per customer to the smallest size's (the baseline, run first in the same
process): a ratio near 1 means linear scaling.

Usage::

    python bench/bench_scale.py 100000 1000000          # sizes to run
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_scale.py ...

Not part of the test suite; never asserts a time.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_info

from segmentkit.config import Config
from segmentkit.datasets import make_customers
from segmentkit.export import save_run
from segmentkit.pipeline import run_segmentation


def _peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux; the process peak so far (monotone across sizes).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_once(n_rows: int, folder: Path, seed: int) -> dict[str, float]:
    data = make_customers(n_rows, n_segments=5, seed=seed)
    start = time.perf_counter()
    run = run_segmentation(data.frame, Config().with_overrides({"seed": seed}))
    fitted = time.perf_counter()
    save_run(run, folder / f"out-{n_rows}")
    done = time.perf_counter()
    return {
        "rows": n_rows,
        "segment_s": fitted - start,
        "write_s": done - fitted,
        "total_s": done - start,
        "peak_gib": _peak_rss_gib(),
        **{f"stage:{k}": v for k, v in run.timings.items()},
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="+", type=int, help="numbers of customers, smallest first")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    blas = [f"{p.get('internal_api')}:{p.get('architecture')}" for p in threadpool_info()]
    print(f"thread pools: {', '.join(blas)}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_rows in sorted(args.sizes):
            result = run_once(n_rows, Path(tmp), args.seed)
            results.append(result)
            base = results[0]
            ratio = (result["total_s"] / result["rows"]) / (base["total_s"] / base["rows"])
            stages = ", ".join(
                f"{k.removeprefix('stage:')} {v:.1f}s"
                for k, v in result.items()
                if k.startswith("stage:")
            )
            print(
                f"{n_rows:>10,} rows: {result['total_s']:7.1f} s total "
                f"(segment {result['segment_s']:.1f} s, write {result['write_s']:.1f} s), "
                f"peak {result['peak_gib']:.2f} GiB, time per customer x{ratio:.2f} of "
                f"{base['rows']:,}-row baseline\n    {stages}",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
