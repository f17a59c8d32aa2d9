"""The ``clustering`` section: which methods run, their settings, the k search, stability."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from segmentkit.config.section import Section

__all__ = [
    "DEFAULT_METHODS",
    "METHOD_NAMES",
    "AgglomerativeConfig",
    "ClusteringConfig",
    "DBSCANConfig",
    "GMMConfig",
    "GenieConfig",
    "KMeansConfig",
    "StabilityConfig",
    "k_range_overrides",
]

#: Clustering methods the registry knows, in the order they run and are reported.
METHOD_NAMES: tuple[str, ...] = ("kmeans", "agglomerative", "gmm", "dbscan", "genie")
#: Methods a run uses unless told otherwise: all of them.
DEFAULT_METHODS: tuple[str, ...] = METHOD_NAMES


def k_range_overrides(k_min: object, k_max: object) -> dict[str, object]:
    """Return the settings a range of k sets (``--k-min``/``--k-max``, ``Segmenter(k=(a, b))``).

    A ``k_max`` the user gives is a cap: it also sets ``clustering.k_limit``, so the search
    never widens past it. ``None`` leaves a setting as the configuration has it; a value
    that is not a whole number of at least 2 is left to the validation to name.
    """
    cap = k_max if isinstance(k_max, int) and not isinstance(k_max, bool) and k_max >= 2 else None
    return {"clustering.k_min": k_min, "clustering.k_max": k_max, "clustering.k_limit": cap}


class KMeansConfig(Section):
    """K-Means settings."""

    n_init: int = Field(10, ge=10, description="Independent k-means++ starts (at least 10).")
    max_iter: int = Field(300, ge=10)
    max_rows: int = Field(
        100_000,
        ge=1_000,
        description=(
            "Above this many rows the k search runs on a seeded sample of this size, and the "
            "chosen k is fitted on every row from the sample's best centres (full Lloyd passes)."
        ),
    )


class AgglomerativeConfig(Section):
    """Agglomerative (hierarchical) clustering settings."""

    linkage: Literal["ward", "complete", "average", "single"] = Field(
        "ward", description="Linkage criterion of the tree."
    )
    max_rows: int = Field(
        10_000,
        ge=100,
        description=(
            "Largest exact tree (its time grows with the square of the rows: about 1 s for "
            "a Ward tree of 10,000; complete and average linkage also need memory that "
            "grows so); above it the tree is grown from weighted K-Means micro-clusters."
        ),
    )
    search_max_rows: int = Field(
        100_000,
        ge=1_000,
        description=(
            "Above this many rows k is chosen on a seeded sample of this size; the chosen "
            "k is then cut from a tree over every customer."
        ),
    )
    micro_clusters: int = Field(
        1_000,
        ge=50,
        le=5_000,
        description=(
            "Micro-clusters summarising the customers above max_rows; each customer takes "
            "the segment of its micro-cluster."
        ),
    )


class GMMConfig(Section):
    """Gaussian Mixture settings."""

    covariance_types: list[Literal["full", "tied", "diag", "spherical"]] = Field(
        default_factory=lambda: ["full", "tied", "diag", "spherical"],  # type: ignore[arg-type]
        min_length=1,
        description="Covariance types tried for every number of components.",
    )
    n_init: int = Field(
        3, ge=1, description="EM initialisations of the chosen mixture (and its stability refits)."
    )
    search_n_init: int = Field(
        1,
        ge=1,
        description=(
            "EM initialisations of each candidate while k and the covariance type are "
            "chosen (the chosen mixture is then fitted with n_init)."
        ),
    )
    search_max_rows: int = Field(
        3_000,
        ge=100,
        description="Candidates are compared on a seeded sample of this many rows above it.",
    )
    max_rows: int = Field(
        100_000,
        ge=1_000,
        description=(
            "Above this many rows the chosen mixture is fitted on a seeded sample of this "
            "size and then gives every customer its most probable component."
        ),
    )
    reg_covar: float = Field(1e-6, gt=0, description="Added to the covariance diagonals.")
    max_iter: int = Field(200, ge=10)


class DBSCANConfig(Section):
    """DBSCAN settings."""

    min_samples: int | None = Field(
        None, ge=2, description="Neighbourhood size of a core point (default 2 × features, >= 4)."
    )
    eps: float | None = Field(
        None,
        gt=0,
        description="Fix the neighbourhood radius (default: knee of the k-distance curve).",
    )
    max_noise_share: float = Field(
        0.5, gt=0, le=1, description="A result with more noise than this is degenerate."
    )
    max_rows: int = Field(
        10_000,
        ge=100,
        description="Above this many rows DBSCAN is fitted on a seeded sample; the rest join "
        "their nearest core point (each eps candidate costs about 0.3 s at 10,000 rows, 7 s "
        "at 50,000, and assigning a million customers about 3 s per 1,000 core points).",
    )


class GenieConfig(Section):
    """Genie (genieclust) settings."""

    gini_threshold: float = Field(
        0.5,
        gt=0,
        le=1,
        description=(
            "While the Gini index of the segment sizes exceeds this, the smallest segment is "
            "merged first (1 would be single linkage; the authors' default 0.3 found the "
            "reference k less often on the tuning benchmark than 0.5)."
        ),
    )
    max_rows: int = Field(
        10_000,
        ge=100,
        description=(
            "Largest tree grown on the customers themselves; above it the tree is grown from "
            "K-Means micro-clusters and each customer takes its micro-cluster's segment."
        ),
    )
    search_max_rows: int = Field(
        100_000,
        ge=1_000,
        description="Above this many rows k is chosen on a seeded sample of this size.",
    )
    micro_clusters: int = Field(
        1_000,
        ge=50,
        le=5_000,
        description="Micro-clusters summarising the customers above max_rows.",
    )


class StabilityConfig(Section):
    """Bootstrap stability of every chosen segmentation."""

    n_resamples: int = Field(
        10, ge=0, description="Most bootstrap resamples (0 turns stability off)."
    )
    tolerance: float = Field(
        0.02,
        ge=0,
        le=0.5,
        description=(
            "Resampling stops early (after at least 4) once the mean ARI and every "
            "segment's mean Jaccard are known to within this (95% interval) and clear of "
            "the thresholds the run decides by; 0 always draws n_resamples."
        ),
    )
    max_rows: int = Field(
        5_000, ge=100, description="Resamples are drawn from a seeded subset of this size."
    )
    jaccard_threshold: float = Field(
        0.6, gt=0, le=1, description="Segments with a lower mean Jaccard are flagged unstable."
    )
    min_stability: float = Field(
        0.6,
        ge=0,
        le=1,
        description=(
            "A segmentation whose stability (mean adjusted Rand index over the resamples) is "
            "below this is not recommended while a stable one exists; when none reaches it "
            "the run says so."
        ),
    )


class ClusteringConfig(Section):
    """Which methods run and how the number of segments is chosen."""

    methods: list[str] = Field(
        default_factory=lambda: list(DEFAULT_METHODS),
        min_length=1,
        description=f"Methods to run, any of: {', '.join(METHOD_NAMES)}.",
    )
    k: int | None = Field(None, ge=2, description="Fix the number of segments (skips the search).")
    k_min: int = Field(2, ge=2, description="Smallest number of segments tried.")
    k_max: int = Field(
        10,
        ge=2,
        le=50,
        description=(
            "Largest number of segments tried at first; when the best k is at k_max the "
            "search widens, k_max more at a time, up to k_limit."
        ),
    )
    k_limit: int = Field(
        50,
        ge=2,
        le=200,
        description=(
            "Most segments a widened search may reach (also bounded by about the square "
            "root of half the customers)."
        ),
    )
    validity_sample_size: int = Field(
        5_000,
        ge=100,
        description=(
            "Near-neighbour separation (which chooses Genie's k) is computed on a "
            "seeded sample of this size above it."
        ),
    )
    # 5,000, not 10,000: the same choice on every set of the labelled benchmark, a quarter
    # of the pairs (a third of a second per method from 10,000 customers up).
    silhouette_sample_size: int = Field(
        5_000,
        ge=100,
        description="Silhouette is computed on a seeded stratified sample of this size above it.",
    )
    search_max_rows: int = Field(
        5_000,
        ge=100,
        description=(
            "Above this many rows every method chooses its parameters on the same seeded "
            "sample of this size (sharing its distances and neighbours between all their "
            "candidates) and fits the chosen ones on every row. A method's own "
            "search_max_rows (kmeans: max_rows) applies when smaller. DBSCAN, whose eps "
            "depends on the density of the rows it is fitted on, searches on those "
            "(dbscan.max_rows)."
        ),
    )
    kmeans: KMeansConfig = Field(default_factory=KMeansConfig)
    agglomerative: AgglomerativeConfig = Field(default_factory=AgglomerativeConfig)
    gmm: GMMConfig = Field(default_factory=GMMConfig)
    dbscan: DBSCANConfig = Field(default_factory=DBSCANConfig)
    genie: GenieConfig = Field(default_factory=GenieConfig)
    stability: StabilityConfig = Field(default_factory=StabilityConfig)

    @field_validator("methods")
    @classmethod
    def _known_methods(cls, value: list[str]) -> list[str]:
        unknown = [m for m in value if m not in METHOD_NAMES]
        if unknown:
            raise ValueError(
                f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHOD_NAMES)}"
            )
        if len(set(value)) != len(value):
            raise ValueError("methods must not repeat")
        # Run in registry order whatever order the user listed them in.
        return [m for m in METHOD_NAMES if m in value]

    @model_validator(mode="after")
    def _k_range(self) -> ClusteringConfig:
        if self.k_min > self.k_max:
            raise ValueError(f"k_min ({self.k_min}) must not exceed k_max ({self.k_max})")
        return self
