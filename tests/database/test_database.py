"""Databases in and out: SQLite (standard library), DuckDB (in-process), a real PostgreSQL.

The PostgreSQL server is a throw-away one started by ``conftest.postgres_url``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from helpers import RunCli
from postgres_server import INSTALL_HINT, server_bin, throwaway_postgres
from segmentkit.database import connection as connection_module
from segmentkit.database import write as write_module
from segmentkit.database.connection import is_database_url, scrub, shown_url
from segmentkit.database.read import read_database
from segmentkit.database.write import segment_rows, write_segments_table
from segmentkit.errors import ConfigError, DataError
from segmentkit.sources.read import read_table

#: The throw-away server's password: grepped for in every output of the tests.
PASSWORD = "S3ntinel-pw-0f9c2e"  # noqa: S105 - the throw-away test server's
HOSTILE = 'x"; DROP TABLE customers; --'
FAST = ("--methods", "kmeans", "--no-figures", "--quiet")
CSV_OUTPUTS = (
    "segments.csv",
    "segment_profiles.csv",
    "method_comparison.csv",
    "k_selection.csv",
    "feature_importance.csv",
    "segment_rules.csv",
    "segment_rules.sql",
)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """``postgresql://segmentkit:<PASSWORD>@127.0.0.1:<port>/postgres`` of a fresh server.

    Without the server binaries the PostgreSQL tests skip and say how to install them,
    unless ``SEGMENTKIT_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) makes them fail instead.
    (A fixture here, not in a conftest.py: test modules import the top one as
    ``conftest``, and a second one would shadow it.)
    """
    if server_bin() is None:
        if os.environ.get("SEGMENTKIT_REQUIRE_POSTGRES") == "1":
            pytest.fail(INSTALL_HINT + " (SEGMENTKIT_REQUIRE_POSTGRES=1)")
        pytest.skip(INSTALL_HINT + " to run these tests")
    with throwaway_postgres("segmentkit", PASSWORD) as url:
        yield url


@pytest.fixture(params=["sqlite", "duckdb"])
def local_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty SQLite or DuckDB database file."""
    if request.param == "duckdb":
        pytest.importorskip("duckdb_engine")
        return f"duckdb:///{tmp_path / 'shop.duckdb'}"
    return f"sqlite:///{tmp_path / 'shop.db'}"


def load(url: str, name: str, frame: pd.DataFrame) -> None:
    """Put ``frame`` into table ``name`` (as a user's own loader would)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        frame.to_sql(name, connection, index=False, if_exists="replace")
    engine.dispose()


def table_rows(url: str, name: str) -> pd.DataFrame:
    return read_database(url, table=name).frame


def index_columns(url: str, table: str) -> list[list[str]]:
    """The columns of each index on ``table`` (duckdb-engine reflects no indexes)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        if connection.dialect.name == "duckdb":
            found = connection.execute(
                sa.text("SELECT expressions FROM duckdb_indexes() WHERE table_name = :t"),
                {"t": table},
            ).scalars()
            # A list, or its text "[id]", depending on the duckdb version.
            listed = [e if isinstance(e, list) else str(e).strip("[]").split(", ") for e in found]
            columns = [[str(c).strip('"') for c in expressions] for expressions in listed]
        else:
            columns = [i["column_names"] for i in sa.inspect(connection).get_indexes(table)]
    engine.dispose()
    return columns


def segments_frame(n: int = 3) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "id": [f"c{i:03d}" for i in range(n)],
            "spend": range(n),
            "segment": [i % 2 for i in range(n)],
            "segment_name": ["Big spenders" if i % 2 else "Thrifty" for i in range(n)],
            "segment_kmeans": [i % 2 for i in range(n)],
            "is_outlier": [False] * n,
        }
    )
    return segment_rows(table, run_id="run1", segmented_at=pd.Timestamp("2026-12-05", tz="UTC"))


# ----------------------------------------------------------------------- URLs, secrets


def test_urls_are_told_from_paths() -> None:
    assert is_database_url("postgresql://ana@db/shop")
    assert is_database_url("duckdb:///shop.duckdb")
    assert not is_database_url("customers.csv")
    assert not is_database_url("/data/exports/customers.csv")
    assert not is_database_url("file:///data/customers.csv")


def test_the_password_is_masked_and_scrubbed() -> None:
    url = f"postgresql://ana:{PASSWORD}@db.example.com:5432/shop"
    assert shown_url(url) == "postgresql://ana:***@db.example.com:5432/shop"
    message = f"could not connect with {url}; password {PASSWORD} rejected"
    assert PASSWORD not in scrub(message, url)


def test_a_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import NoSuchModuleError

    def no_module(*args: object, **kwargs: object) -> None:
        raise NoSuchModuleError("Can't load plugin: sqlalchemy.dialects:duckdb")

    monkeypatch.setattr(sa, "create_engine", no_module)
    with pytest.raises(ConfigError, match=r"segmentkit\[duckdb\]"):
        connection_module.connect("duckdb:///shop.duckdb")
    with pytest.raises(ConfigError, match=r"segmentkit\[postgres\]"):
        connection_module.connect("postgresql://ana@db/shop")


# ----------------------------------------------------------------------- reading


def test_read_a_table_and_a_query(local_url: str, mall_csv: Path) -> None:
    mall = read_table(mall_csv).frame
    load(local_url, "customers", mall)
    read = read_database(local_url, table="customers")
    pd.testing.assert_frame_equal(read.frame, mall, check_dtype=False)
    assert PASSWORD not in read.source
    older = read_database(local_url, query='SELECT * FROM customers WHERE "Age" > 40')
    assert len(older.frame) == int((mall["Age"] > 40).sum())
    # The digest is of the rows: equal data, equal digest.
    assert read.sha256 == read_database(local_url, table="customers").sha256 != older.sha256


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"table": "nowhere"}, "table 'nowhere' not found"),
        ({"query": "SELEC oops"}, "reading the customers in .* failed: .*"),
        ({"query": "SELECT 1 AS a WHERE 1 = 0"}, "has no rows"),
        ({}, "needs --table NAME or --query"),
    ],
)
def test_reading_errors_are_one_line(local_url: str, kwargs: dict[str, str], message: str) -> None:
    load(local_url, "customers", pd.DataFrame({"a": [1]}))
    with pytest.raises((DataError, ConfigError), match=message) as raised:
        read_database(local_url, **kwargs)
    assert "\n" not in str(raised.value)


def test_a_hostile_column_and_table_name_round_trip_as_data(local_url: str) -> None:
    frame = pd.DataFrame({"id": ["a", "b"], HOSTILE: [1.5, 2.5]})
    load(local_url, "customers", frame)
    load(local_url, HOSTILE, frame)
    read = read_database(local_url, table=HOSTILE)
    assert list(read.frame.columns) == ["id", HOSTILE]
    rows = segments_frame().rename(columns={"segment_name": HOSTILE})
    write_segments_table(local_url, HOSTILE + "_out", rows, if_exists="replace")
    assert HOSTILE in table_rows(local_url, HOSTILE + "_out").columns
    assert len(table_rows(local_url, "customers")) == 2  # still there


# ----------------------------------------------------------------------- writing back


def test_if_exists_fail_replace_append(local_url: str) -> None:
    rows = segments_frame(3)
    write_segments_table(local_url, "segments", rows)
    with pytest.raises(DataError, match=r"already exists.*--if-exists replace"):
        write_segments_table(local_url, "segments", rows)
    write_segments_table(local_url, "segments", rows, if_exists="append")
    assert len(table_rows(local_url, "segments")) == 6
    write_segments_table(local_url, "segments", segments_frame(5), if_exists="replace")
    written = table_rows(local_url, "segments")
    assert len(written) == 5
    assert list(written.columns) == [
        "id",
        "segment",
        "segment_name",
        "segment_kmeans",
        "is_outlier",
        "run_id",
        "segmented_at",
    ]
    # A replace indexes the id column again.
    assert index_columns(local_url, "segments") == [["id"]]


def test_a_failed_replace_leaves_the_previous_table(
    local_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_segments_table(local_url, "segments", segments_frame(3))

    insert = write_module._insert

    def broken(*args: Any) -> None:
        insert(*args)  # the rows are in, uncommitted, when the disk fills up
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(write_module, "_insert", broken)
    # Same columns (rows swapped inside the table), then other columns (a staging table).
    for rows in (segments_frame(7), segments_frame(7).drop(columns="segment_kmeans")):
        with pytest.raises(DataError, match=r"writing table segments .* failed: disk full"):
            write_segments_table(local_url, "segments", rows, if_exists="replace")
        assert len(table_rows(local_url, "segments")) == 3
    engine = sa.create_engine(local_url)
    with engine.connect() as connection:
        names = sa.inspect(connection).get_table_names()
    engine.dispose()
    assert names == ["segments"]  # no staging table left behind


# ----------------------------------------------------------------------- the command line


def test_run_reads_a_table_and_writes_the_segments_back(
    local_url: str, mall_csv: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    load(local_url, "customers", read_table(mall_csv).frame)
    from_file = run_cli("run", mall_csv, "-o", tmp_path / "file", *FAST)
    assert from_file.code == 0, from_file.stderr
    from_db = run_cli(
        "run", local_url, "--table", "customers", "--to-table", "customer_segments",
        "--rules-view", "customer_rules", "-o", tmp_path / "db", *FAST,
    )  # fmt: skip
    assert from_db.code == 0, from_db.stderr
    for name in CSV_OUTPUTS:
        assert (tmp_path / "db" / name).read_bytes() == (tmp_path / "file" / name).read_bytes()
    written = table_rows(local_url, "customer_segments")
    segments = pd.read_csv(tmp_path / "file" / "segments.csv", dtype={"CustomerID": str})
    assert written["CustomerID"].tolist() == segments["CustomerID"].tolist()
    assert written["segment"].tolist() == segments["segment"].tolist()
    assert written["segment_name"].tolist() == segments["segment_name"].tolist()
    assert written["run_id"].nunique() == 1
    # The view segments the customers inside the database, as the rules' agreement says.
    by_rules = table_rows(local_url, "customer_rules")
    assert len(by_rules) == 200
    agreement = (by_rules["segment"].to_numpy() == written["segment"].to_numpy()).mean()
    summary = json.loads((tmp_path / "db" / "run.json").read_text())
    assert agreement == pytest.approx(summary["methods"]["kmeans"]["rules"]["agreement"], abs=0.005)
    assert agreement >= 0.9
    # A second run refuses to overwrite, before doing any work.
    again = run_cli(
        "run", local_url, "--table", "customers", "--to-table", "customer_segments",
        "-o", tmp_path / "again", *FAST,
    )  # fmt: skip
    assert again.code == 1
    assert "already exists" in again.stderr and "Traceback" not in again.stderr
    assert not (tmp_path / "again").exists()


def test_run_reads_the_url_from_the_environment(
    local_url: str, mall_csv: Path, tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(local_url, "customers", read_table(mall_csv).frame)
    monkeypatch.setenv("SEGMENTKIT_DATABASE_URL", local_url)
    result = run_cli("run", "--query", "SELECT * FROM customers", "-o", tmp_path / "o", *FAST)
    assert result.code == 0, result.stderr
    monkeypatch.delenv("SEGMENTKIT_DATABASE_URL")
    missing = run_cli("run", "--table", "customers", "-o", tmp_path / "o2", *FAST)
    assert missing.code == 2
    assert "SEGMENTKIT_DATABASE_URL" in missing.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--table", "customers", "--query", "SELECT 1"), 2, "not both"),
        (("--to-db", "sqlite:///x.db"), 2, "--to-db needs --to-table"),
    ],
)
def test_database_flag_errors(
    local_url: str, tmp_path: Path, run_cli: RunCli, args: tuple[str, ...], code: int, message: str
) -> None:
    result = run_cli("run", local_url, *args, "-o", tmp_path / "o", *FAST)
    assert result.code == code
    assert message in result.stderr and "Traceback" not in result.stderr


def test_to_table_needs_a_database(mall_csv: Path, tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli("run", mall_csv, "--to-table", "segments", "-o", tmp_path / "o", *FAST)
    assert result.code == 2
    assert "--to-table needs a database" in result.stderr


# ----------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def postgres(postgres_url: str) -> Iterator[str]:
    """The server's URL, with its tables dropped after each test."""
    yield postgres_url
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        for name in sa.inspect(connection).get_table_names():
            quoted = name.replace(chr(34), chr(34) * 2)
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{quoted}" CASCADE'))
    engine.dispose()


def every_file(folder: Path) -> Iterator[Path]:
    return (path for path in folder.rglob("*") if path.is_file())


def test_postgres_round_trip_same_segments_and_no_secret_anywhere(
    postgres: str, mall_csv: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    load(postgres, "customers", read_table(mall_csv).frame)
    from_file = run_cli("run", mall_csv, "-o", tmp_path / "file", "--methods", "kmeans,genie")
    from_db = run_cli(
        "run", postgres, "--table", "customers", "--to-table", "customer_segments",
        "-o", tmp_path / "db", "--methods", "kmeans,genie", "-v",
    )  # fmt: skip
    assert from_file.code == 0 and from_db.code == 0, from_db.stderr
    for name in CSV_OUTPUTS:
        assert (tmp_path / "db" / name).read_bytes() == (tmp_path / "file" / name).read_bytes()
    written = table_rows(postgres, "customer_segments")
    assert len(written) == 200
    assert str(written["segmented_at"].dt.tz) == "UTC"
    # The password is in no output file, the log, the report or the terminal.
    assert PASSWORD not in from_db.stdout + from_db.stderr
    for path in every_file(tmp_path / "db"):
        assert PASSWORD.encode() not in path.read_bytes(), path.name
    assert "***@127.0.0.1" in (tmp_path / "db" / "run.log").read_text()
    # The report names the table, not only the database.
    assert (
        "table customers in postgres: 200 customers"
        in (tmp_path / "db" / "report.html").read_text()
    )


def test_postgres_wrong_password_is_one_line_without_it(
    postgres: str, tmp_path: Path, run_cli: RunCli
) -> None:
    wrong = postgres.replace(PASSWORD, "not-" + PASSWORD)
    result = run_cli("run", wrong, "--table", "customers", "-o", tmp_path / "o", *FAST)
    assert result.code == 1
    assert "password authentication failed" in result.stderr
    assert PASSWORD not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_postgres_unreachable_server(postgres: str, tmp_path: Path, run_cli: RunCli) -> None:
    port = postgres.rsplit(":", 1)[1].split("/")[0]
    gone = postgres.replace(f":{port}/", ":1/")
    result = run_cli("run", gone, "--table", "customers", "-o", tmp_path / "o", *FAST)
    assert result.code == 1
    assert "could not connect to postgresql://segmentkit:***@127.0.0.1:1/postgres" in result.stderr


def test_postgres_hostile_names_and_schema(postgres: str) -> None:
    engine = sa.create_engine(postgres.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.execute(sa.text('CREATE SCHEMA IF NOT EXISTS "crm"'))
    engine.dispose()
    load(postgres, "customers", pd.DataFrame({"id": ["a"], HOSTILE: [1.0]}))
    rows = segments_frame().rename(columns={"segment_name": HOSTILE})
    write_segments_table(postgres, "crm." + HOSTILE, rows)
    write_segments_table(postgres, "crm." + HOSTILE, rows, if_exists="replace")
    assert HOSTILE in table_rows(postgres, "crm." + HOSTILE).columns
    assert len(table_rows(postgres, "customers")) == 1


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    import pandas as pd
    from segmentkit.database.write import segment_rows, write_segments_table
    n = 3_000_000
    table = pd.DataFrame({"id": [f"c{i}" for i in range(n)], "segment": 1,
                          "segment_name": "New", "is_outlier": False})
    rows = segment_rows(table, run_id="killed", segmented_at=pd.Timestamp.now(tz="UTC"))
    print("writing", flush=True)
    write_segments_table(sys.argv[1], "segments", rows, if_exists="replace")
    """
)


def test_postgres_killed_while_writing_keeps_the_previous_table(
    postgres: str, tmp_path: Path
) -> None:
    write_segments_table(postgres, "segments", segments_frame(3))
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    writer = subprocess.Popen(
        [sys.executable, str(script), postgres], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    engine = sa.create_engine(postgres.replace("postgresql://", "postgresql+psycopg://"))
    copying = False
    deadline = time.monotonic() + 60
    while not copying and time.monotonic() < deadline and writer.poll() is None:
        with engine.connect() as connection:
            copying = bool(
                connection.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %'")
                ).scalar()
            )
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert copying, "the writer never reached COPY"
    kept = table_rows(postgres, "segments")
    assert kept["run_id"].tolist() == ["run1"] * 3
    with engine.connect() as connection:
        assert sa.inspect(connection).get_table_names() == ["segments"]
    engine.dispose()


def test_score_reads_a_table_and_writes_the_scored_rows_back(
    local_url: str, mall_csv: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    trained = run_cli("run", mall_csv, "-o", tmp_path / "run", *FAST)
    assert trained.code == 0, trained.stderr
    load(local_url, "new_customers", read_table(mall_csv).frame)
    model = tmp_path / "run" / "model.skops"
    from_file = run_cli("score", model, mall_csv, "--out", tmp_path / "file.csv")
    from_db = run_cli(
        "score", model, local_url, "--table", "new_customers", "--to-table", "scored",
        "--out", tmp_path / "db.csv",
    )  # fmt: skip
    assert from_file.code == 0 and from_db.code == 0, from_db.stderr
    assert (tmp_path / "db.csv").read_bytes() == (tmp_path / "file.csv").read_bytes()
    written = table_rows(local_url, "scored")
    scored = pd.read_csv(tmp_path / "file.csv", dtype={"CustomerID": str})
    assert written["CustomerID"].tolist() == scored["CustomerID"].tolist()
    assert written["segment"].tolist() == scored["segment"].tolist()
    again = run_cli(
        "score", model, local_url, "--table", "new_customers", "--to-table", "scored",
        "--out", tmp_path / "again.csv",
    )  # fmt: skip
    assert again.code == 1 and "already exists" in again.stderr
    assert not (tmp_path / "again.csv").exists()


def test_postgres_password_from_pgpassword_and_pgpass(
    postgres: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(postgres, "customers", pd.DataFrame({"id": ["a", "b"], "spend": [1.0, 2.0]}))
    without = postgres.replace(f":{PASSWORD}@", "@")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "absent"))
    with pytest.raises(DataError, match="could not connect"):
        read_database(without, table="customers")
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert len(read_database(without, table="customers").frame) == 2
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:*:*:segmentkit:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert len(read_database(without, table="customers").frame) == 2


def test_to_db_writes_the_segments_to_another_database(
    mall_csv: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    pytest.importorskip("duckdb_engine")
    source, target = f"sqlite:///{tmp_path / 'crm.db'}", f"duckdb:///{tmp_path / 'dw.duckdb'}"
    load(source, "customers", read_table(mall_csv).frame)
    result = run_cli(
        "run", source, "--table", "customers", "--to-table", "segments", "--to-db", target,
        "-o", tmp_path / "o", *FAST,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert len(table_rows(target, "segments")) == 200
    engine = sa.create_engine(source)
    with engine.connect() as connection:
        assert not sa.inspect(connection).has_table("segments")
    engine.dispose()


# ----------------------------------------------------------------------- found by a new user


def test_secret_query_parameters_are_masked_and_postgres_is_postgresql() -> None:
    url = f"postgresql://ana@db.example.com/shop?password={PASSWORD}&sslmode=require"
    assert PASSWORD not in shown_url(url)
    assert "sslmode=require" in shown_url(url)
    assert PASSWORD not in scrub(f"rejected {PASSWORD} for {url}", url)
    engine = connection_module.connect("postgres://ana@db.example.com/shop")
    assert engine.dialect.name == "postgresql"
    engine.dispose()


def test_the_input_table_is_never_a_target(local_url: str, tmp_path: Path, run_cli: RunCli) -> None:
    load(local_url, "customers", pd.DataFrame({"id": ["a", "b"], "spend": [1.0, 2.0]}))
    for flags in (
        ("--to-table", "customers", "--if-exists", "replace"),
        ("--to-table", "segments", "--rules-view", "customers"),
        ("--to-table", "segments", "--rules-view", "segments"),
    ):
        result = run_cli("run", local_url, "--table", "customers", *flags, "-o", tmp_path / "o")
        assert result.code == 2, flags
        assert "Traceback" not in result.stderr
    assert list(table_rows(local_url, "customers").columns) == ["id", "spend"]
    assert not (tmp_path / "o").exists()


def test_replace_keeps_views_on_the_table_when_the_columns_match(local_url: str) -> None:
    write_segments_table(local_url, "segments", segments_frame(3))
    engine = sa.create_engine(local_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE VIEW dashboard AS SELECT segment FROM segments"))
    engine.dispose()
    write_segments_table(local_url, "segments", segments_frame(5), if_exists="replace")
    assert len(table_rows(local_url, "dashboard")) == 5
    assert index_columns(local_url, "segments") == [["id"]]


def test_a_rules_view_over_a_query_ending_in_a_comment(
    local_url: str, mall_csv: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    load(local_url, "customers", read_table(mall_csv).frame)
    result = run_cli(
        "run", local_url, "--query", "SELECT * FROM customers -- every one of them",
        "--to-table", "segments", "--rules-view", "live", "-o", tmp_path / "o", *FAST,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert len(table_rows(local_url, "live")) == 200


def test_a_rules_view_refuses_input_columns_named_segment(
    local_url: str, tmp_path: Path, run_cli: RunCli
) -> None:
    frame = pd.DataFrame({"id": list("abcdef"), "spend": range(6), "segment": list("ABABAB")})
    load(local_url, "customers", frame)
    result = run_cli(
        "run", local_url, "--table", "customers", "--to-table", "segments",
        "--rules-view", "live", "-o", tmp_path / "o", *FAST,
    )  # fmt: skip
    assert result.code == 2
    assert "already has 'segment'" in result.stderr
    assert not (tmp_path / "o").exists()


def test_local_database_mistakes(local_url: str, tmp_path: Path, run_cli: RunCli) -> None:
    missing = local_url.rsplit("/", 1)[0] + "/typo.db"
    with pytest.raises(DataError, match="database file not found"):
        read_database(missing, table="customers")
    assert not Path(missing.split("///", 1)[1]).exists()
    load(local_url, "customers", pd.DataFrame({"id": ["a"], "spend": [1.0]}))
    load(local_url, "sales.2024", pd.DataFrame({"id": ["a"], "spend": [1.0]}))
    assert len(read_database(local_url, table="sales.2024").frame) == 1
    engine = sa.create_engine(local_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE VIEW crm AS SELECT * FROM customers"))
    engine.dispose()
    with pytest.raises(DataError, match="is a view"):
        write_module.check_target(local_url, "crm", "replace")
    lonely = run_cli("run", local_url, "--table", "customers", "--if-exists", "replace")
    assert lonely.code == 2 and "--if-exists needs --to-table" in lonely.stderr


def test_a_server_that_never_answers_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection_module, "CONNECT_TIMEOUT", 1)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(DataError, match="could not connect"):
            read_database(f"postgresql://ana:{PASSWORD}@127.0.0.1:{port}/shop", table="x")
    assert time.monotonic() - started < 10


def test_postgres_long_names_and_replace_under_a_view(postgres: str) -> None:
    long_name = "customer_segments_for_the_marketing_team_weekly_refresh_2024q3"
    assert len(long_name) == 62
    write_segments_table(postgres, long_name, segments_frame(3))
    write_segments_table(postgres, long_name, segments_frame(4), if_exists="replace")
    assert len(table_rows(postgres, long_name)) == 4
    engine = sa.create_engine(postgres.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE VIEW dash AS SELECT segment FROM "{long_name}"'))  # noqa: S608
    engine.dispose()
    write_segments_table(postgres, long_name, segments_frame(6), if_exists="replace")
    assert len(table_rows(postgres, "dash")) == 6


def test_append_needs_the_same_columns(
    local_url: str, mall_csv: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    write_segments_table(local_url, "segments", segments_frame(3))
    with pytest.raises(DataError, match="these segments lack segment_kmeans"):
        write_segments_table(
            local_url, "segments", segments_frame(3).drop(columns="segment_kmeans"),
            if_exists="append",
        )  # fmt: skip
    assert len(table_rows(local_url, "segments")) == 3
    load(local_url, "customers", read_table(mall_csv).frame)
    first = run_cli(
        "run", local_url, "--table", "customers", "--to-table", "mall", "-o", tmp_path / "a",
        *FAST,
    )  # fmt: skip
    assert first.code == 0, first.stderr
    more_methods = run_cli(
        "run", local_url, "--table", "customers", "--to-table", "mall", "--if-exists",
        "append", "-o", tmp_path / "b", "--methods", "kmeans,genie", "--no-figures",
    )  # fmt: skip
    assert more_methods.code == 1
    assert "lacks segment_genie" in more_methods.stderr
    assert not (tmp_path / "b").exists()


def test_a_failed_table_write_leaves_no_output_folder(
    local_url: str, mall_csv: Path, tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(local_url, "customers", read_table(mall_csv).frame)

    def full(*args: Any) -> None:
        raise sa.exc.OperationalError("INSERT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(write_module, "_insert", full)
    result = run_cli(
        "run", local_url, "--table", "customers", "--to-table", "segments", "-o",
        tmp_path / "o", *FAST,
    )  # fmt: skip
    assert result.code == 1
    assert "database or disk is full" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
