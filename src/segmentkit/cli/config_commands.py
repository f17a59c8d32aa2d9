"""``segmentkit config``: create, print the schema of, and check configuration files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from segmentkit.cli.options import PATH_TYPE
from segmentkit.errors import ConfigError

__all__ = ["config_group"]


@click.group("config")
def config_group() -> None:
    """Create, inspect and check configuration files."""


@config_group.command("init")
@click.argument("path", type=PATH_TYPE, default=Path("segmentkit.json"))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def config_init(path: Path, force: bool) -> None:
    """Write a complete default configuration file to PATH (default segmentkit.json)."""
    from segmentkit.config import Config
    from segmentkit.output.atomic import output_error

    if path.exists() and not force:
        raise ConfigError(f"{path} already exists", hint="pass --force to overwrite it")
    data = {"$schema": "./segmentkit.schema.json", **Config().to_dict()}
    try:
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise ConfigError(str(output_error(error, f"cannot write {path}"))) from None
    click.echo(f"Wrote default configuration to {path}")


@config_group.command("schema")
def config_schema_command() -> None:
    """Print the JSON Schema of the configuration file."""
    from segmentkit.config import config_schema

    click.echo(json.dumps(config_schema(), indent=2))


@config_group.command("validate")
@click.argument("path", type=PATH_TYPE)
def config_validate(path: Path) -> None:
    """Check the configuration file PATH and report every problem."""
    from segmentkit.config import load_config

    load_config(path)
    click.echo(f"{path}: valid")
