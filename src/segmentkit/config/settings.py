"""The one JSON configuration file, validated by pydantic.

Every option has a default, so an empty ``{}`` (or no file at all) is a complete
configuration. Unknown keys are errors, and every problem is reported as one
``field: message`` line before any data is read.

:class:`Config` gathers the sections, each defined in its own module:
:mod:`~segmentkit.config.input`, :mod:`~segmentkit.config.cleaning`,
:mod:`~segmentkit.config.clustering` and :mod:`~segmentkit.config.describe`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError

from segmentkit.config.cleaning import CleaningConfig
from segmentkit.config.clustering import ClusteringConfig
from segmentkit.config.describe import (
    ExplainConfig,
    IdentityConfig,
    ProfilesConfig,
    ReportConfig,
)
from segmentkit.config.input import InputConfig, TransactionsConfig
from segmentkit.config.output import OutputConfig
from segmentkit.config.section import Section
from segmentkit.errors import ConfigError

__all__ = ["Config", "DaskConfig", "config_schema", "load_config", "parse_config"]

logger = logging.getLogger(__name__)


class DaskConfig(Section):
    """The Dask backend (``--backend dask``)."""

    sample_size: int = Field(
        100_000,
        ge=100,
        description=(
            "Customers (a seeded sample) the methods, k and profiles are chosen on; "
            "K-Means is refitted on every customer and everyone is placed by the model."
        ),
    )


class Config(Section):
    """The complete segmentkit configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: str | None = Field(
        None, alias="$schema", description="Optional JSON Schema reference for editors."
    )
    seed: int = Field(
        0, ge=0, le=2**32 - 1, strict=True, description="The one random seed of the run."
    )
    n_jobs: int | None = Field(
        None,
        ge=1,
        description=(
            "Cores for the whole run, its threads and worker processes (None: one per "
            "available core, never more)."
        ),
    )
    input: InputConfig = Field(default_factory=InputConfig)
    cleaning: CleaningConfig = Field(default_factory=CleaningConfig)
    clustering: ClusteringConfig = Field(default_factory=ClusteringConfig)
    explain: ExplainConfig = Field(default_factory=ExplainConfig)
    profiles: ProfilesConfig = Field(default_factory=ProfilesConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    transactions: TransactionsConfig = Field(default_factory=TransactionsConfig)
    dask: DaskConfig = Field(default_factory=DaskConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)

    def to_dict(self) -> dict[str, Any]:
        """Return the resolved configuration (defaults filled in) as plain JSON data."""
        return self.model_dump(mode="json", exclude={"schema_"}, by_alias=True)

    def with_overrides(self, overrides: dict[str, Any], *, source: str = "overrides") -> Config:
        """Return a copy with dotted-path overrides applied, validated again.

        Parameters
        ----------
        overrides : dict
            Keys like ``"clustering.k"`` mapped to new values; ``None`` values are skipped.
        source : str
            Where the overrides come from, first in error messages (the CLI passes
            ``"command line"``).
        """
        data = self.to_dict()
        for dotted, value in overrides.items():
            if value is None:
                continue
            node = data
            *parents, leaf = dotted.split(".")
            for part in parents:
                # A misspelt section becomes an unknown key that validation names.
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ConfigError(f"{source}: {dotted}: {part} is a setting, not a section")
            node[leaf] = value
        return parse_config(data, source=source)


def _format_errors(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see `segmentkit config schema`)"
        lines.append(f"{location}: {message}")
    return lines


def parse_config(data: Any, *, source: str = "config") -> Config:
    """Validate configuration data.

    Parameters
    ----------
    data : Any
        Parsed JSON; must be an object.
    source : str
        Where the data came from, for error messages.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        With one ``field: message`` line per problem in ``problems``.
    """
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: the configuration must be a JSON object, got {type(data).__name__}"
        )
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        problems = _format_errors(error)
        raise ConfigError(
            f"{source}: {len(problems)} invalid setting(s)", problems=problems
        ) from None
    # Names for a method that does not run would silently never appear.
    methods = config.clustering.methods
    problems = [
        f"profiles.names.{method}: {method} does not run; clustering.methods is "
        f"{', '.join(methods)}"
        for method in config.profiles.names
        if method not in methods
    ]
    if problems:
        raise ConfigError(f"{source}: {len(problems)} invalid setting(s)", problems=problems)
    return config


def load_config(path: str | Path | None) -> Config:
    """Read and validate a JSON configuration file (``None`` gives the defaults).

    Parameters
    ----------
    path : str or Path or None
        The JSON file.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        When the file is missing, is not valid JSON, or fails validation.

    Examples
    --------
    >>> load_config(None).clustering.k_max
    10
    """
    if path is None:
        return Config()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            f"config file not found: {path}",
            hint="create one with `segmentkit config init`",
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    config = parse_config(data, source=str(path))
    logger.info("Loaded configuration from %s", path)
    return config


def config_schema() -> dict[str, Any]:
    """Return the JSON Schema of the configuration file."""
    schema = Config.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "segmentkit configuration"
    return schema
