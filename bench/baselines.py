"""The two baselines segmentkit is measured against, as a user would run them.

- **floor**: the least work any tool must do on the same file — read the CSV with pandas,
  impute + standardise + one-hot in one ColumnTransformer, one K-Means fit (k given, one
  start), write id + segment.
- **notebook**: the pipeline notebooks write — the floor's preparation, K-Means for
  k = 2..10 (ten starts each) chosen by the full silhouette, Ward at the chosen k, write.

Run as a script they read a CSV and write a CSV, so their time includes Python and
scikit-learn start-up exactly as ``segmentkit run`` does::

    python bench/baselines.py floor customers.csv out.csv --k 5
    python bench/baselines.py notebook customers.csv out.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import silhouette_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ID_COLUMN = "customer_id"


def prepared_matrix(frame: pd.DataFrame) -> np.ndarray:
    """Impute, standardise and one-hot every column but the id, as notebooks do."""
    features = frame.drop(columns=[ID_COLUMN])
    categorical = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    numeric = [c for c in features.columns if c not in categorical]
    prepare = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder()),
                categorical,
            ),
        ]
    )
    X = prepare.fit_transform(features)
    return np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)


def floor_labels(frame: pd.DataFrame, k: int, seed: int) -> np.ndarray:
    """One K-Means fit with k given and one start."""
    return KMeans(k, n_init=1, random_state=seed).fit_predict(prepared_matrix(frame))


def notebook_labels(frame: pd.DataFrame, seed: int) -> np.ndarray:
    """K-Means for k = 2..10 by the full silhouette, then Ward at the chosen k."""
    X = prepared_matrix(frame)
    best_k, best_score, best_labels = 2, -1.0, np.zeros(len(X), dtype=int)
    for k in range(2, 11):
        labels = KMeans(k, n_init=10, random_state=seed).fit_predict(X)
        score = silhouette_score(X, labels)
        if score > best_score:
            best_k, best_score, best_labels = k, score, labels
    AgglomerativeClustering(best_k).fit(X)
    return best_labels


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("baseline", choices=["floor", "notebook"])
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--k", type=int, default=5, help="the floor's number of segments")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    frame = pd.read_csv(args.input)
    if args.baseline == "floor":
        labels = floor_labels(frame, args.k, args.seed)
    else:
        labels = notebook_labels(frame, args.seed)
    pd.DataFrame({ID_COLUMN: frame[ID_COLUMN], "segment": labels}).to_csv(args.output, index=False)


if __name__ == "__main__":
    main(sys.argv[1:])
