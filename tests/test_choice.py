"""The choice of segmentation on data with known answers (the issue's acceptance facts).

Each case runs the default cleaning, every default method with stability and the
recommendation (:func:`segmentkit.pipeline.segment_prepared`), without the describing
stages. The labelled benchmark lives in ``bench/bench_quality.py``.
"""

from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from conftest import shared_dataset
from segmentkit.config import Config
from segmentkit.datasets import make_customers
from segmentkit.methods import MethodResult
from segmentkit.pipeline import segment_prepared
from segmentkit.prepare.transformer import PreparedData, prepare
from segmentkit.selection.method_choice import Recommendation, recommend_method


def _choose(
    frame: pd.DataFrame, config: Config
) -> tuple[PreparedData, dict[str, MethodResult], Recommendation]:
    prepared = prepare(frame, config)
    results, _ = segment_prepared(prepared, config)
    return prepared, results, recommend_method(results)


def test_mall_all_columns_the_answer_does_not_depend_on_the_seed(mall_frame: pd.DataFrame) -> None:
    answers, labels = set(), []
    for seed in (0, 1, 2):
        _, results, recommendation = _choose(mall_frame, Config().with_overrides({"seed": seed}))
        chosen = results[recommendation.method]
        answers.add((recommendation.method, chosen.n_segments))
        labels.append(chosen.labels)
    assert len(answers) == 1
    assert min(adjusted_rand_score(a, b) for a, b in combinations(labels, 2)) >= 0.9


def test_bank_no_segment_is_the_outlier_set_and_the_recommendation_is_stable() -> None:
    frame = pd.read_csv(shared_dataset("bank_marketing/bank.csv"), sep=";")
    config = Config().with_overrides({"input.exclude": ["duration", "y"]})
    prepared, results, recommendation = _choose(frame, config)
    assert 0 < prepared.is_outlier.sum() < 0.05 * len(prepared.is_outlier)
    for name, result in results.items():
        for segment in np.unique(result.labels[result.labels >= 0]):
            members = result.labels == segment
            assert not prepared.is_outlier[members].all(), (name, segment)
    assert recommendation.stable
    assert results[recommendation.method].stability.mean_ari >= 0.6


def test_a_random_category_does_not_split_planted_segments() -> None:
    data = make_customers(2_000, n_segments=5, seed=7, missing_rate=0.0)
    with_category = data.frame.assign(
        loyalty_tier=np.random.default_rng(8).choice(["bronze", "silver", "gold"], 2_000)
    )
    for frame in (data.frame, with_category):
        prepared, results, recommendation = _choose(frame, Config())
        chosen = results[recommendation.method]
        assert chosen.n_segments == 5
        assert adjusted_rand_score(data.labels[prepared.kept_rows], chosen.labels) >= 0.9


def test_wholesale_log_transform_recovers_the_channel() -> None:
    frame = pd.read_csv(shared_dataset("wholesale_customers/Wholesale customers data.csv"))
    spend = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
    config = Config().with_overrides(
        {"input.features": spend, "clustering.k": 2, "clustering.methods": ["kmeans"]}
    )
    prepared, results, _ = _choose(frame, config)
    truth = frame["Channel"].to_numpy()[prepared.kept_rows]
    assert adjusted_rand_score(truth, results["kmeans"].labels) >= 0.45
