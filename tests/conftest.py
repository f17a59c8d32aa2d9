"""Shared fixtures. OMP_NUM_THREADS=1: 2-core CI machines oversubscribe badly otherwise."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path

import pytest

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def shared_dataset(relative: str) -> Path:
    """Path of a file in ../shared/datasets, skipping the test when it is absent."""
    path = SHARED_DATASETS / relative
    if not path.exists():
        pytest.skip(f"shared dataset not available: {relative}")
    return path
