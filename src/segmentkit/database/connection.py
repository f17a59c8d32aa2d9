"""Database URLs: recognising them, showing them without secrets, connecting, and errors.

A database is named by a SQLAlchemy URL (``postgresql://user@host/db``,
``sqlite:///shop.db``, ``duckdb:///shop.duckdb``, any dialect a user installs). The
password may be in the URL, in libpq's ``PGPASSWORD`` or ``~/.pgpass`` (PostgreSQL reads
them itself), or in an environment variable that holds the whole URL
(:data:`URL_ENV`, or the one ``input.url_env`` names). Whatever its origin, the URL is
only ever shown by :func:`shown_url`, with the password masked, and every driver message
passes through :func:`scrub` before it reaches a log line or an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from segmentkit.errors import ConfigError, DataError
from segmentkit.sources.notes import one_line

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

__all__ = [
    "URL_ENV",
    "connect",
    "database_errors",
    "is_database_url",
    "resolve_url",
    "scrub",
    "shown_url",
]

#: The environment variable a database URL is read from when none is given.
URL_ENV = "SEGMENTKIT_DATABASE_URL"
#: Seconds PostgreSQL waits for a server to answer (``?connect_timeout=`` in the URL wins).
CONNECT_TIMEOUT = 15
#: The pip extra that installs each first-class dialect's driver.
EXTRAS = {"postgresql": "postgres", "duckdb": "duckdb"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_MASK = "***"


def is_database_url(text: str) -> bool:
    r"""Whether ``text`` is a database URL rather than a file path.

    Examples
    --------
    >>> [is_database_url(t) for t in ["sqlite:///shop.db", "customers.csv", "C:\\\\data.csv"]]
    [True, False, False]
    """
    return bool(_SCHEME.match(text)) and not text.lower().startswith("file://")


def resolve_url(given: str | None, env: str | None = None) -> str:
    """Return the database URL: the one given, else the environment variable's.

    Parameters
    ----------
    given : str or None
        The URL from the command line or the configuration.
    env : str, optional
        The environment variable to read (default :data:`URL_ENV`).

    Raises
    ------
    ConfigError
        When neither is set.
    """
    if given:
        return given
    name = env or URL_ENV
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(
            f"no database URL: give one as INPUT or set the environment variable {name}",
            hint="for example postgresql://analyst@db.example.com/shop",
        )
    return value


#: URL query parameters that carry secrets (``?password=...`` is as valid as ``user:pw@``).
_SECRET_PARAMETERS = ("password", "passwd", "pwd", "secret", "token", "key")


def _parse(url: str) -> URL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # The text itself may hold a password: never echo it.
        raise ConfigError(
            "the database URL is not of the form dialect://user@host/database",
            hint="for example postgresql://analyst@db.example.com/shop or sqlite:///shop.db; "
            "percent-encode @, : and / in a password (@ is %40)",
        ) from None
    if parsed.drivername.split("+")[0] == "postgres":
        # Heroku's and Airflow's spelling; SQLAlchemy knows only postgresql.
        parsed = parsed.set(drivername="postgresql" + parsed.drivername[len("postgres") :])
    return parsed


def _secrets(parsed: URL) -> list[str]:
    """Every secret in the URL: its password and secret-looking query parameters."""
    found = [str(parsed.password)] if parsed.password else []
    for key, value in parsed.query.items():
        if any(word in key.lower() for word in _SECRET_PARAMETERS):
            found += [value] if isinstance(value, str) else list(value)
    return [secret for secret in found if secret]


def shown_url(url: str) -> str:
    """Return ``url`` as it may be shown: the password replaced by ``***``.

    Examples
    --------
    >>> shown_url("postgresql://ana:s3cret@db.example.com:5432/shop")
    'postgresql://ana:***@db.example.com:5432/shop'
    """
    try:
        parsed = _parse(url)
    except ConfigError:
        return "(a database URL that could not be read)"
    hidden = {
        key: _MASK
        for key in parsed.query
        if any(word in key.lower() for word in _SECRET_PARAMETERS)
    }
    shown: str = parsed.update_query_dict(hidden).render_as_string(hide_password=True)
    return shown.replace("%2A%2A%2A", _MASK)


def scrub(text: str, url: str) -> str:
    """Remove the URL's password (and the URL itself) from a driver's message."""
    try:
        secrets = _secrets(_parse(url))
    except ConfigError:
        secrets = []
    text = text.replace(url, shown_url(url))
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text


def _dialect_hint(parsed: URL) -> str:
    name = parsed.get_backend_name()
    driver = parsed.get_driver_name()
    extra = EXTRAS.get(name)
    if name == "postgresql" and driver not in ("psycopg", "postgresql"):
        return (
            f"install the {driver} package, or write postgresql:// to use psycopg 3: "
            "pip install 'segmentkit[postgres]'"
        )
    if extra:
        return f"install its driver: pip install 'segmentkit[{extra}]'"
    return f"install SQLAlchemy's driver for {name} (SQLAlchemy's list of dialects names it)"


def _psycopg_url(parsed: URL) -> URL:
    """``postgresql://`` means psycopg2 to SQLAlchemy; use psycopg 3 when only it is here."""
    if parsed.drivername != "postgresql":
        return parsed
    import importlib.util

    if importlib.util.find_spec("psycopg2") is None and importlib.util.find_spec("psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLite run DDL inside the transaction, as PostgreSQL and DuckDB do.

    Python's sqlite3 module opens a transaction only before data changes, so a
    ``CREATE``/``DROP``/``ALTER TABLE`` would commit by itself; SQLAlchemy's documented
    recipe hands the transaction to SQLAlchemy, which then begins it explicitly.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(connection: Any, record: Any) -> None:
        connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def connect(url: str) -> Engine:
    """Return an engine for ``url`` (nothing is sent to the server yet).

    Raises
    ------
    ConfigError
        When the URL cannot be read, or its dialect or driver is not installed (the
        message names the pip extra to install).
    """
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    parsed = _psycopg_url(_parse(url))
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        # A server that accepts and never answers would hang a nightly job for ever.
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
    try:
        engine = create_engine(parsed, hide_parameters=True, **options)
    except (NoSuchModuleError, ModuleNotFoundError, ImportError):
        raise ConfigError(
            f"no driver for {parsed.get_backend_name()} databases is installed",
            hint=_dialect_hint(parsed),
        ) from None
    except ArgumentError as error:
        raise ConfigError(
            f"the database URL is not usable: {scrub(one_line(error), url)}"
        ) from None
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)
    return engine


def _driver_message(error: BaseException, url: str) -> str:
    """Return the driver's own first line, without SQLAlchemy's link or the URL."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()[0] if str(original).strip() else type(error).__name__
    text = re.sub(r"\s*\(Background on this error at: [^)]*\)", "", text)
    return scrub(text, url)


@contextmanager
def database_errors(url: str, doing: str) -> Iterator[None]:
    """Turn a driver's exception into one line a user can act on, without secrets.

    Parameters
    ----------
    url : str
        The database URL (its password is scrubbed from every message).
    doing : str
        What was being done, for the message: ``"reading the customers"``.
    """
    from pandas.errors import DatabaseError
    from sqlalchemy.exc import DBAPIError, NoSuchTableError, SQLAlchemyError

    where = shown_url(url)
    try:
        yield
    except DatabaseError as error:  # pandas' wrapper of a failed query
        cause = error.__cause__ or error
        if isinstance(cause, DBAPIError) and _is_connection_failure(cause):
            raise DataError(
                f"could not connect to {where}: {_driver_message(cause, url)}"
            ) from None
        raise DataError(f"{doing} in {where} failed: {_driver_message(cause, url)}") from None
    except NoSuchTableError as error:
        raise DataError(
            f"table {scrub(str(error), url)!r} not found in {where}",
            hint="check the name (and schema: schema.table) or give --query",
        ) from None
    except DBAPIError as error:
        message = _driver_message(error, url)
        if getattr(error, "connection_invalidated", False) or _is_connection_failure(error):
            raise DataError(
                f"could not connect to {where}: {message}", hint=_connect_hint(url)
            ) from None
        raise DataError(f"{doing} in {where} failed: {message}") from None
    except SQLAlchemyError as error:
        raise DataError(f"{doing} in {where} failed: {_driver_message(error, url)}") from None


def _connect_hint(url: str) -> str:
    if _parse(url).get_backend_name() == "postgresql":
        return "check the host, port, user and password (URL, PGPASSWORD or ~/.pgpass)"
    return "check the path and the file's permissions"


def _is_connection_failure(error: BaseException) -> bool:
    from sqlalchemy.exc import InterfaceError, OperationalError

    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    text = str(getattr(error, "orig", error)).lower()
    return any(
        words in text
        for words in (
            "connection",
            "password",
            "authentication",
            "could not translate host",
            "failed to resolve host",
            "timeout expired",
            "unable to open database",
            "does not exist",
        )
    )
