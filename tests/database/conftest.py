"""A throw-away PostgreSQL server for the database tests (``postgres_server``).

Without the server binaries the PostgreSQL tests skip and say how to install them,
unless ``SEGMENTKIT_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) makes them fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from postgres_server import INSTALL_HINT, server_bin, throwaway_postgres

#: The server's password: every test that may print or write it greps for it (the test
#: module repeats it: conftest modules are not imported by name).
PASSWORD = "S3ntinel-pw-0f9c2e"  # noqa: S105 - the throw-away test server's


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``postgresql://segmentkit:<PASSWORD>@127.0.0.1:<port>/postgres`` of a fresh server."""
    if server_bin() is None:
        if os.environ.get("SEGMENTKIT_REQUIRE_POSTGRES") == "1":
            pytest.fail(INSTALL_HINT + " (SEGMENTKIT_REQUIRE_POSTGRES=1)")
        pytest.skip(INSTALL_HINT + " to run these tests")
    with throwaway_postgres("segmentkit", PASSWORD) as url:
        yield url
