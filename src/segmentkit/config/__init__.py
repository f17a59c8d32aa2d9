"""The one JSON configuration file, validated by pydantic."""

from __future__ import annotations

from segmentkit.config.cleaning import (
    CleaningConfig,
    LogTransformConfig,
    MissingConfig,
    OutlierConfig,
)
from segmentkit.config.clustering import (
    DEFAULT_METHODS,
    METHOD_NAMES,
    AgglomerativeConfig,
    ClusteringConfig,
    DBSCANConfig,
    GenieConfig,
    GMMConfig,
    KMeansConfig,
    StabilityConfig,
)
from segmentkit.config.describe import (
    ExplainConfig,
    IdentityConfig,
    ProfilesConfig,
    ReportConfig,
    RuleCondition,
    RuleConfig,
)
from segmentkit.config.input import InputConfig, TransactionsConfig, normalise_delimiter
from segmentkit.config.output import OutputConfig
from segmentkit.config.settings import Config, config_schema, load_config, parse_config

__all__ = [
    "DEFAULT_METHODS",
    "METHOD_NAMES",
    "AgglomerativeConfig",
    "CleaningConfig",
    "ClusteringConfig",
    "Config",
    "DBSCANConfig",
    "ExplainConfig",
    "GMMConfig",
    "GenieConfig",
    "IdentityConfig",
    "InputConfig",
    "KMeansConfig",
    "LogTransformConfig",
    "MissingConfig",
    "OutlierConfig",
    "OutputConfig",
    "ProfilesConfig",
    "ReportConfig",
    "RuleCondition",
    "RuleConfig",
    "StabilityConfig",
    "TransactionsConfig",
    "config_schema",
    "load_config",
    "normalise_delimiter",
    "parse_config",
]
