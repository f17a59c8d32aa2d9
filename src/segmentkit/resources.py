"""Cores and memory: what is available, what a stage needs, a clear stop when it will not fit.

A run that runs out of memory is killed by the operating system with no message and
nothing written. Before each stage segmentkit estimates its peak from the data's shape
(coefficients measured with ``bench/bench_scale.py``, rounded up) and compares it with
the memory available now: a stage that cannot fit stops the run with a
:class:`ResourceError` saying what to change, before any of its work is done. Stages
with a cheaper strategy switch to it instead (Agglomerative's micro-clusters).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from segmentkit.config import Config
from segmentkit.errors import ResourceError

#: As set for the run by :mod:`segmentkit.pipeline` (scikit-learn's ``working_memory``).
WORKING_MEMORY_MIB = 256

__all__ = ["available_memory", "check_memory", "effective_jobs", "stage_memory"]

logger = logging.getLogger(__name__)

_FLOAT = 8
#: Copies of the model matrix a clustering stage holds at its peak (scikit-learn's
#: validated copy, distances or responsibilities in chunks, labels), measured.
_MATRIX_COPIES = {
    "segment:kmeans": 3.0,
    "segment:agglomerative": 2.5,
    "segment:gmm": 3.0,
    "segment:dbscan": 3.5,
    "segment:genie": 2.5,
}


def available_memory() -> int:
    """Return the bytes of memory available now (physical pages free or reclaimable)."""
    try:
        # Linux: MemAvailable counts reclaimable page cache too.
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


#: Memory the figures and the report take while drawn, whatever the data size.
_FIGURES = 256 * 2**20


def stage_memory(stage: str, n_rows: int, n_features: int, config: Config) -> int:
    """Estimate the extra bytes ``stage`` needs at its peak for the given data shape.

    Parameters
    ----------
    stage : str
        ``prepare``, ``segment:<method>``, ``explain``, ``profile`` or ``write``.
    n_rows : int
        Customers.
    n_features : int
        Input columns for ``prepare``; model features (after one-hot encoding) otherwise.
    config : Config
        Sample caps that bound the O(n²) and per-candidate work.

    Examples
    --------
    >>> stage_memory("segment:kmeans", 1_000_000, 20, Config()) // 2**20
    713
    """
    matrix = n_rows * n_features * _FLOAT
    clustering = config.clustering
    # Chunks of pairwise distances (silhouette, neighbours), whatever the data size.
    chunks = WORKING_MEMORY_MIB * 2**20
    if stage == "prepare":
        # The frame being cleaned (about 4 copies while columns are converted) and the
        # transformed matrix with its float copy (10,000,000 × 11: 5.4 GiB measured).
        return 4 * matrix + 3 * matrix
    if stage == "segment:agglomerative":
        # The cheaper strategy: an exact tree that would not fit switches to
        # micro-clusters by itself (see methods.agglomerative.tree_row_limit).
        micro = clustering.agglomerative.micro_clusters
        return int(_MATRIX_COPIES[stage] * matrix) + 8 * micro**2 + chunks
    if stage == "segment:genie":
        # The tree grows on at most max_rows points (customers or micro-cluster centres);
        # its spanning tree and partitions are O(points), the matrix copies dominate.
        points = min(n_rows, clustering.genie.max_rows)
        return int(_MATRIX_COPIES[stage] * matrix) + points * 64 * 8 + chunks
    if stage == "segment:dbscan":
        sample = min(n_rows, clustering.dbscan.max_rows)
        # Neighbourhoods of the sample (bounded by scikit-learn's chunking to ~1 KiB a
        # row per neighbour list on typical data) plus the assignment chunks.
        return int(_MATRIX_COPIES[stage] * matrix) + sample * 1024 * 8 + chunks
    if stage in _MATRIX_COPIES:
        return int(_MATRIX_COPIES[stage] * matrix) + chunks
    if stage == "explain":
        rows = min(n_rows, config.explain.max_rows)
        # Forest trees grow with the training rows; permutation copies the held-out set.
        return rows * n_features * _FLOAT * 4 + rows * config.explain.n_estimators * 64
    if stage in ("profile", "write"):
        # Output tables: every input column plus a segment per method, as text; writing
        # also draws the figures and the report (0.2 GiB measured even at 10,000 rows).
        figures = _FIGURES if stage == "write" else 0
        return int(2.5 * matrix) + n_rows * 64 * len(clustering.methods) + figures
    return 0


def check_memory(stage: str, needed: int, *, hint: str) -> None:
    """Stop with a :class:`ResourceError` when ``needed`` bytes exceed what is available.

    Parameters
    ----------
    stage : str
        Named in the message.
    needed : int
        Estimated peak bytes of the stage.
    hint : str
        What the user can change.
    """
    available = available_memory()
    logger.debug(
        "Stage %s: needs about %s MiB, %s MiB available",
        stage,
        f"{needed // 2**20:,}",
        f"{available // 2**20:,}",
    )
    if needed > available:
        raise ResourceError(
            f"stage {stage} needs about {_size(needed)} of memory but only "
            f"{_size(available)} are available",
            hint=hint,
        )


def _size(n_bytes: int) -> str:
    """Bytes as people read them.

    Examples
    --------
    >>> _size(3 * 2**30), _size(300 * 2**20), _size(1024)
    ('3.0 GiB', '300 MiB', '1 KiB')
    """
    if n_bytes >= 2**30:
        return f"{n_bytes / 2**30:.1f} GiB"
    if n_bytes >= 2**20:
        return f"{n_bytes / 2**20:.0f} MiB"
    return f"{max(1, round(n_bytes / 2**10))} KiB"


def effective_jobs(n_jobs: int | None) -> int:
    """Return the number of threads a run uses.

    ``n_jobs`` when set; otherwise ``OMP_NUM_THREADS`` when the environment sets it (the
    usual way to share a machine), else one per available core.

    Examples
    --------
    >>> effective_jobs(3)
    3
    >>> effective_jobs(None) >= 1
    True
    """
    if n_jobs is not None:
        return max(1, n_jobs)
    from_env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if from_env.isdigit() and int(from_env) > 0:
        return int(from_env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
