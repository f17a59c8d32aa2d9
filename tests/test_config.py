"""Tests for segmentkit.config and the ``segmentkit config`` commands."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import RunCli
from segmentkit.config import (
    DEFAULT_METHODS,
    METHOD_NAMES,
    Config,
    config_schema,
    load_config,
    parse_config,
)
from segmentkit.errors import ConfigError, SegmentkitError

# The configuration reference of the manual, with the complete default file.
CONFIG_PAGE = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
UNKNOWN_KEY = "unknown key (check the spelling; see `segmentkit config schema`)"


def problems_of(data: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return info.value.problems


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- defaults


def test_defaults() -> None:
    config = Config()
    assert config.seed == 0
    assert config.n_jobs is None
    assert config.input.id_column is None
    assert config.input.features is None
    assert config.input.exclude == []
    assert config.input.roles == {}
    assert config.cleaning.duplicate_ids == "keep_first"
    assert config.cleaning.missing.numeric == "median"
    assert config.cleaning.missing.categorical == "most_frequent"
    assert config.cleaning.missing.max_missing_share == 0.5
    assert config.cleaning.outliers.method == "neighbours"
    assert config.cleaning.outliers.factor is None
    assert config.cleaning.outliers.fence_factor == 2.0
    assert config.cleaning.outliers.n_neighbours == 15
    assert config.cleaning.outliers.max_rows == 20_000
    assert config.cleaning.outliers.policy == "flag"
    assert config.cleaning.outliers.max_share == 0.1
    assert config.cleaning.categorical_weight == "sqrt_levels"
    assert config.cleaning.log_transform.mode == "auto"
    assert config.cleaning.log_transform.skew_threshold == 2.0
    assert config.cleaning.max_categories == 20
    assert config.cleaning.max_integer_categories == 5
    assert config.cleaning.numeric_text_share == 0.9
    assert config.clustering.methods == list(DEFAULT_METHODS)
    assert config.clustering.k is None
    assert (config.clustering.k_min, config.clustering.k_max) == (2, 10)
    assert config.clustering.silhouette_sample_size == 5_000
    assert config.explain.n_estimators == 100
    assert config.clustering.kmeans.n_init == 10
    assert config.clustering.kmeans.max_iter == 300


def test_empty_object_and_no_file_are_the_defaults() -> None:
    assert parse_config({}) == Config()
    assert load_config(None) == Config()


def test_to_dict_is_json_and_round_trips() -> None:
    data = Config().to_dict()
    assert "schema_" not in data
    assert "$schema" not in data
    assert parse_config(json.loads(json.dumps(data))) == Config()


def _leaves(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def test_readme_config_block_shows_the_real_defaults() -> None:
    if not CONFIG_PAGE.exists():
        pytest.skip("docs/configuration.md not present")
    section = CONFIG_PAGE.read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", section, re.DOTALL)
    assert block is not None, "docs/configuration.md has no ```json block"
    documented = json.loads(block.group(1))
    parse_config(documented)  # the documented file is itself valid
    defaults = dict(_leaves(Config().to_dict()))
    wrong = {
        key: (value, defaults.get(key, "<no such key>"))
        for key, value in _leaves(documented)
        if defaults.get(key, "<no such key>") != value
    }
    assert wrong == {}, "docs/configuration.md value vs actual default"


# --------------------------------------------------------------------------- validation


def test_unknown_key_names_the_field() -> None:
    assert problems_of({"clustering": {"kmax": 5}}) == [f"clustering.kmax: {UNKNOWN_KEY}"]
    assert problems_of({"sed": 1}) == [f"sed: {UNKNOWN_KEY}"]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"seed": -1, "bogus": True, "clustering": {"k": 1}}, source="my.json")
    error = info.value
    assert error.exit_code == 2
    assert isinstance(error, ValueError)
    assert isinstance(error, SegmentkitError)
    assert error.summary() == "my.json: 3 invalid setting(s)"
    # The message carries the problems, so a caller that only prints it sees them.
    assert str(error) == "my.json: 3 invalid setting(s): " + "; ".join(error.problems)
    assert sorted(error.problems) == [
        f"bogus: {UNKNOWN_KEY}",
        "clustering.k: Input should be greater than or equal to 2",
        "seed: Input should be greater than or equal to 0",
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"seed": "abc"}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"n_jobs": "many"}, "n_jobs"),
        ({"input": {"features": "age,income"}}, "input.features"),
        ({"input": {"exclude": "age"}}, "input.exclude"),
        ({"clustering": {"methods": "kmeans"}}, "clustering.methods"),
        ({"clustering": {"k_max": "ten"}}, "clustering.k_max"),
        ({"clustering": "kmeans"}, "clustering"),
        ({"cleaning": {"outliers": {"policy": "remove"}}}, "cleaning.outliers.policy"),
        ({"input": {"roles": {"age": "number"}}}, "input.roles.age"),
    ],
)
def test_wrong_types_name_the_field(data: dict[str, Any], field: str) -> None:
    problems = problems_of(data)
    assert len(problems) == 1
    assert problems[0].startswith(f"{field}: "), problems


@pytest.mark.parametrize(
    ("outliers", "factor"),
    [
        ({}, 2.0),
        ({"method": "iqr"}, 1.5),
        ({"factor": 3}, 3.0),
        ({"method": "iqr", "factor": 2.5}, 2.5),
    ],
)
def test_outlier_factor_defaults_by_method(outliers: dict[str, Any], factor: float) -> None:
    config = parse_config({"cleaning": {"outliers": outliers}})
    assert config.cleaning.outliers.fence_factor == factor


@pytest.mark.parametrize(
    ("outliers", "problem"),
    [
        ({"method": "lof"}, "cleaning.outliers.method: Input should be 'neighbours' or 'iqr'"),
        ({"factor": 0}, "cleaning.outliers.factor: Input should be greater than 0"),
        ({"n_neighbours": 0}, "cleaning.outliers.n_neighbours: Input should be greater than or"),
        ({"n_neighbours": 500}, "cleaning.outliers.n_neighbours: Input should be less than or"),
        ({"max_rows": 10}, "cleaning.outliers.max_rows: Input should be greater than or equal"),
        ({"neighbors": 10}, f"cleaning.outliers.neighbors: {UNKNOWN_KEY}"),
    ],
)
def test_outlier_keys_validated(outliers: dict[str, Any], problem: str) -> None:
    (found,) = problems_of({"cleaning": {"outliers": outliers}})
    assert found.startswith(problem), found


@pytest.mark.parametrize(
    ("value", "parsed"), [("sqrt_levels", "sqrt_levels"), ("unit", "unit"), (0.5, 0.5), (2, 2.0)]
)
def test_categorical_weight_accepted(value: Any, parsed: Any) -> None:
    config = parse_config({"cleaning": {"categorical_weight": value}})
    assert config.cleaning.categorical_weight == parsed


@pytest.mark.parametrize("value", ["half", "0.5", 0, -1, float("inf"), True, None, [1]])
def test_categorical_weight_rejected_with_one_message(value: Any) -> None:
    assert problems_of({"cleaning": {"categorical_weight": value}}) == [
        "cleaning.categorical_weight: must be sqrt_levels, unit or a finite number > 0, "
        f"got {value!r}"
    ]


def test_k_min_greater_than_k_max() -> None:
    (problem,) = problems_of({"clustering": {"k_min": 6, "k_max": 4}})
    assert problem.startswith("clustering: ")
    assert "k_min (6) must not exceed k_max (4)" in problem


@pytest.mark.parametrize("key", ["k", "k_min", "k_max"])
def test_fewer_than_two_segments_rejected(key: str) -> None:
    assert problems_of({"clustering": {key: 1}}) == [
        f"clustering.{key}: Input should be greater than or equal to 2"
    ]


def test_k_max_upper_bound() -> None:
    assert problems_of({"clustering": {"k_max": 51}}) == [
        "clustering.k_max: Input should be less than or equal to 50"
    ]


def test_unknown_method_lists_the_known_ones() -> None:
    (problem,) = problems_of({"clustering": {"methods": ["kmeans", "no_such_method"]}})
    assert problem.startswith("clustering.methods: ")
    assert "unknown method(s) no_such_method" in problem
    assert f"choose from {', '.join(METHOD_NAMES)}" in problem


def test_empty_and_repeated_methods_rejected() -> None:
    (problem,) = problems_of({"clustering": {"methods": []}})
    assert problem.startswith("clustering.methods: ")
    (problem,) = problems_of({"clustering": {"methods": ["kmeans", "kmeans"]}})
    assert problem == "clustering.methods: methods must not repeat"


def test_methods_run_in_registry_order() -> None:
    reversed_names = list(reversed(METHOD_NAMES))
    assert parse_config({"clustering": {"methods": reversed_names}}).clustering.methods == list(
        METHOD_NAMES
    )


def test_not_an_object() -> None:
    with pytest.raises(ConfigError, match=r"must be a JSON object, got list"):
        parse_config([1, 2])


def test_invalid_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{\n  "seed": 1,\n}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: invalid JSON at line 3 column 1: ")
    assert "Expecting property name" in message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.message == f"config file not found: {path}"
    assert info.value.hint == "create one with `segmentkit config init`"
    assert info.value.exit_code == 2


def test_load_reports_the_path_and_problems(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", {"clustering": {"k_min": 1}})
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.summary() == f"{path}: 1 invalid setting(s)"
    assert info.value.problems == ["clustering.k_min: Input should be greater than or equal to 2"]


def test_schema_key_is_accepted(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", {"$schema": "./segmentkit.schema.json", "seed": 4})
    config = load_config(path)
    assert config.seed == 4
    assert "$schema" not in config.to_dict()


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"seed": 9}')
    assert load_config(path).seed == 9


def test_config_is_immutable() -> None:
    config = Config()
    with pytest.raises(ValueError, match="frozen"):
        config.seed = 3  # type: ignore[misc]


# --------------------------------------------------------------------------- with_overrides


def test_with_overrides_applies_dotted_paths_and_skips_none() -> None:
    base = parse_config({"seed": 5, "clustering": {"k_max": 8}})
    new = base.with_overrides(
        {
            "clustering.k": 3,
            "input.features": ["age", "income"],
            "input.exclude": None,
            "seed": None,
            "cleaning.outliers.policy": "drop",
        }
    )
    assert new.clustering.k == 3
    assert new.input.features == ["age", "income"]
    assert new.input.exclude == []
    assert new.seed == 5  # None means "not given"
    assert new.clustering.k_max == 8
    assert new.cleaning.outliers.policy == "drop"
    # The original is untouched.
    assert base.clustering.k is None
    assert base.input.features is None
    assert base.cleaning.outliers.policy == "flag"


def test_with_overrides_is_validated_again() -> None:
    with pytest.raises(ConfigError) as info:
        Config().with_overrides({"clustering.k": 1, "seed": -3})
    assert info.value.summary() == "overrides: 2 invalid setting(s)"
    assert sorted(info.value.problems) == [
        "clustering.k: Input should be greater than or equal to 2",
        "seed: Input should be greater than or equal to 0",
    ]


def test_with_overrides_rejects_unknown_leaf() -> None:
    with pytest.raises(ConfigError) as info:
        Config().with_overrides({"input.bogus": 1})
    assert info.value.problems == [f"input.bogus: {UNKNOWN_KEY}"]


# --------------------------------------------------------------------------- schema


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_config_schema_is_a_json_schema() -> None:
    schema = config_schema()
    assert json.loads(json.dumps(schema)) == schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "segmentkit configuration"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert {"$schema", "seed", "n_jobs", "input", "cleaning", "clustering"} <= set(
        schema["properties"]
    )
    assert schema["properties"]["seed"]["type"] == "integer"
    assert schema["properties"]["seed"]["minimum"] == 0
    # Every reference resolves inside the document.
    defs = schema["$defs"]
    refs = list(_refs(schema))
    assert refs
    for ref in refs:
        assert ref.startswith("#/$defs/"), ref
        assert ref.removeprefix("#/$defs/") in defs, ref
    clustering = defs["ClusteringConfig"]
    assert clustering["additionalProperties"] is False
    assert clustering["properties"]["k_max"]["maximum"] == 50
    assert clustering["properties"]["k_min"]["minimum"] == 2


def test_default_config_validates_against_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate({"$schema": "./segmentkit.schema.json", **Config().to_dict()})
    assert list(validator.iter_errors({"bogus": 1}))


# --------------------------------------------------------------------------- CLI


def test_config_init_writes_a_valid_default_file(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "segmentkit.json"
    code, out, err = run_cli("config", "init", path)
    assert code == 0, err
    assert out.strip() == f"Wrote default configuration to {path}"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data.pop("$schema") == "./segmentkit.schema.json"
    assert data == Config().to_dict()

    code, out, err = run_cli("config", "validate", path)
    assert (code, out.strip(), err) == (0, f"{path}: valid", "")
    assert load_config(path) == parse_config({"$schema": "./segmentkit.schema.json"})


def test_config_init_default_path_is_in_the_working_folder(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("config", "init")
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["segmentkit.json"]


def test_config_init_refuses_to_overwrite(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "segmentkit.json"
    path.write_text('{"seed": 42}\n', encoding="utf-8")
    code, out, err = run_cli("config", "init", path)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"error: {path} already exists (pass --force to overwrite it)",
    ]
    assert path.read_text(encoding="utf-8") == '{"seed": 42}\n'

    code, _, err = run_cli("config", "init", path, "--force")
    assert code == 0, err
    assert load_config(path).to_dict() == Config().to_dict()


def test_config_schema_prints_the_schema(run_cli: RunCli) -> None:
    code, out, err = run_cli("config", "schema")
    assert (code, err) == (0, "")
    assert json.loads(out) == config_schema()


def test_config_validate_reports_every_problem(tmp_path: Path, run_cli: RunCli) -> None:
    path = write_json(tmp_path / "bad.json", {"bogus": 1, "clustering": {"k_max": 1}})
    code, out, err = run_cli("config", "validate", path)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert sorted(lines[:-1]) == [
        f"error: bogus: {UNKNOWN_KEY}",
        "error: clustering.k_max: Input should be greater than or equal to 2",
    ]
    assert lines[-1] == f"error: {path}: 2 invalid setting(s)"
    assert "Traceback" not in err


def test_config_validate_invalid_json(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"seed": 1,,}', encoding="utf-8")
    code, _, err = run_cli("config", "validate", path)
    assert code == 2
    assert err.splitlines() == [
        f"error: {path}: invalid JSON at line 1 column 12: Expecting property name enclosed "
        "in double quotes"
    ]


def test_config_validate_missing_file(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "absent.json"
    code, _, err = run_cli("config", "validate", path)
    assert code == 2
    assert err.splitlines() == [
        f"error: config file not found: {path} (create one with `segmentkit config init`)"
    ]


def test_seed_must_be_an_integer_not_a_boolean() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"seed": True})
    assert caught.value.problems[0].startswith("seed: ")


# --------------------------------------------------------------------------- input.delimiter


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        (",", ","),
        (";", ";"),
        ("semicolon", ";"),
        ("\t", "\t"),
        ("\\t", "\t"),
        ("TAB", "\t"),
        ("|", "|"),
        ("whitespace", "whitespace"),
        ("space", "whitespace"),
        (" ", "whitespace"),
    ],
)
def test_input_delimiter_spellings(given: str, meant: str) -> None:
    assert parse_config({"input": {"delimiter": given}}).input.delimiter == meant


def test_unknown_input_delimiter_names_the_field() -> None:
    problems = problems_of({"input": {"delimiter": "::"}})
    assert len(problems) == 1
    assert problems[0].startswith("input.delimiter: "), problems
    assert "'whitespace'" in problems[0] and "got '::'" in problems[0]
