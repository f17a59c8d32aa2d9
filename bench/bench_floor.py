"""segmentkit against the floor and the notebook, end to end, as a user runs them.

For each size, synthetic customers with planted segments (``make_customers``; 200 is the
Mall Customers file from ../shared when present) are written to a CSV, then run in fresh
processes, one after the other, on the same machine:

- the **floor** (``bench/baselines.py floor``: read, encode, one K-Means fit, write),
- the **notebook** (``bench/baselines.py notebook``; up to ``--notebook-max`` rows, its
  silhouette and Ward are O(n²)),
- ``segmentkit run`` with the defaults, and ``segmentkit run --no-figures``.

Each time is wall-clock from process start to exit (imports included) with its peak
memory (``/usr/bin/time``); the script prints segmentkit's time as a multiple of the floor's
and of the notebook's, and the adjusted Rand index of each segmentation against the planted
segments. Not part of the test suite; it never asserts a time.

Usage::

    python bench/bench_floor.py 200 10000 40000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from segmentkit.datasets import make_customers

BENCH = Path(__file__).resolve().parent
MALL = BENCH.parents[1] / "shared" / "datasets" / "mall_customers" / "Mall_Customers.csv"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Timed:
    """One process: wall seconds, peak memory, and its exit code.

    ``peak_gib`` is the peak proportional set size of the process and its worker
    processes together, sampled every 0.25 s (``/usr/bin/time``'s peak would count the
    largest process only); where ``/proc`` cannot be read, the largest process's peak.
    """

    seconds: float
    peak_gib: float
    code: int


def _tree_pss(pid: int) -> int:
    """Bytes of memory a process and its descendants hold (shared pages counted once)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += 1024 * int(
                next(ln for ln in rollup.splitlines() if ln.startswith("Pss:")).split()[1]
            )
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def timed(command: list[str], log: Path) -> Timed:
    """Run ``command`` in a fresh process; its wall time and peak memory (see :class:`Timed`)."""
    report = log.with_suffix(".time")
    peak = 0
    with log.open("w") as out:
        process = subprocess.Popen(
            ["/usr/bin/time", "-f", "%e %M", "-o", str(report), *command],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        while process.poll() is None:
            peak = max(peak, _tree_pss(process.pid))
            time.sleep(0.25)
        code = process.returncode
    seconds, kib = report.read_text().split()[-2:]
    return Timed(float(seconds), max(peak, int(kib) * 1024) / 2**30, code)


def customers(n_rows: int, folder: Path, seed: int) -> tuple[Path, np.ndarray | None]:
    """The input CSV and its planted segments (None for Mall: no labels)."""
    if n_rows == 200 and MALL.is_file():
        frame = pd.read_csv(MALL).rename(columns={"CustomerID": "customer_id"})
        path = folder / "mall.csv"
        frame.to_csv(path, index=False)
        return path, None
    data = make_customers(n_rows, n_segments=5, seed=seed)
    path = folder / f"customers-{n_rows}.csv"
    data.frame.to_csv(path, index=False)
    return path, data.labels


def ari(planted: np.ndarray | None, ids: pd.Series, segments_csv: Path) -> str:
    """ARI of a written segmentation against the planted segments, matched by id."""
    if planted is None or not segments_csv.is_file():
        return "-"
    written = pd.read_csv(segments_csv, usecols=["customer_id", "segment"])
    truth = pd.Series(planted, index=ids)
    return f"{adjusted_rand_score(truth.loc[written['customer_id']], written['segment']):.2f}"


def bench_size(n_rows: int, folder: Path, seed: int, notebook_max: int) -> list[str]:
    """Run every contender on ``n_rows`` customers, print them, return the markdown cells."""
    path, planted = customers(n_rows, folder, seed)
    ids = pd.read_csv(path, usecols=["customer_id"])["customer_id"]
    runs: dict[str, tuple[Timed, str]] = {}
    floor_out = folder / f"floor-{n_rows}.csv"
    baseline = [sys.executable, str(BENCH / "baselines.py")]
    floor = timed([*baseline, "floor", str(path), str(floor_out)], folder / "floor.log")
    runs["floor"] = (floor, ari(planted, ids, floor_out))
    if n_rows <= notebook_max:
        out = folder / f"notebook-{n_rows}.csv"
        runs["notebook"] = (
            timed([*baseline, "notebook", str(path), str(out)], folder / "notebook.log"),
            ari(planted, ids, out),
        )
    for name, flags in (("segmentkit", []), ("segmentkit --no-figures", ["--no-figures"])):
        out = folder / f"{name.replace(' ', '')}-{n_rows}"
        command = [str(BIN / "segmentkit"), "run", str(path), "--out", str(out), *flags]
        result = timed(command, folder / "segmentkit.log")
        runs[name] = (result, ari(planted, ids, out / "segments.csv"))
    print(f"{n_rows:>10,} customers:")
    for name, (result, score) in runs.items():
        ratios = f"x{result.seconds / floor.seconds:5.1f} of the floor"
        if "notebook" in runs and name not in ("floor", "notebook"):
            ratios += f", x{result.seconds / runs['notebook'][0].seconds:5.2f} of the notebook"
        failed = "" if result.code == 0 else f"  (exit code {result.code})"
        print(
            f"    {name:<24} {result.seconds:7.1f} s  {result.peak_gib:5.2f} GiB  "
            f"{ratios}  ARI with the planted segments {score}{failed}",
            flush=True,
        )
    print(f"    stages of the default run: {stage_seconds(folder / f'segmentkit-{n_rows}')}")
    return markdown_row(n_rows, runs)


def stage_seconds(out: Path) -> str:
    """The stage times a run recorded in ``run.json`` (for the progress estimate's weights)."""
    try:
        timings = json.loads((out / "run.json").read_text(encoding="utf-8"))["timings_seconds"]
    except (OSError, KeyError, ValueError):
        return "not recorded"
    return ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in timings.items())


def _cell(runs: dict[str, tuple[Timed, str]], name: str, *, memory: bool = True) -> str:
    if name not in runs:
        return "-"
    result, _ = runs[name]
    text = f"{result.seconds:.1f} s" + (f", {result.peak_gib:.2f} GiB" if memory else "")
    if name.startswith("segmentkit"):
        floor = runs["floor"][0].seconds
        text += f" (×{result.seconds / floor:.1f} the floor"
        if "notebook" in runs:
            text += f", ×{result.seconds / runs['notebook'][0].seconds:.2f} the notebook"
        text += ")"
    return text if result.code == 0 else f"{text}, exit code {result.code}"


def markdown_row(n_rows: int, runs: dict[str, tuple[Timed, str]]) -> list[str]:
    """One row of the manual's benchmark table (docs/scale.md, README)."""
    label = "200 (Mall)" if n_rows == 200 and MALL.is_file() else f"{n_rows:,}"
    scores = " / ".join(
        runs[name][1] for name in ("floor", "notebook", "segmentkit") if name in runs
    )
    return [
        label,
        _cell(runs, "floor"),
        _cell(runs, "notebook"),
        _cell(runs, "segmentkit"),
        _cell(runs, "segmentkit --no-figures"),
        "no labels" if set(scores.split(" / ")) == {"-"} else scores,
    ]


MARKDOWN_HEADER = (
    "| customers | floor | notebook | `segmentkit run` | `--no-figures` "
    "| ARI with the planted segments (floor / notebook / segmentkit) |\n"
    "|---|---|---|---|---|---|"
)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="+", type=int, help="numbers of customers (200: Mall)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--notebook-max", type=int, default=40_000)
    parser.add_argument(
        "--markdown", type=Path, help="also write the results as the manual's markdown table"
    )
    args = parser.parse_args(argv)
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(f"threads: OMP_NUM_THREADS={threads}, cores {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bench_size(n, Path(tmp), args.seed, args.notebook_max) for n in sorted(args.sizes)]
    table = "\n".join([MARKDOWN_HEADER, *("| " + " | ".join(row) + " |" for row in rows)])
    print(f"\nAs a markdown table (threads: {threads}):\n{table}")
    if args.markdown is not None:
        args.markdown.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
