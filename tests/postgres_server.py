"""A throw-away PostgreSQL server: ``initdb`` and ``pg_ctl`` in a temporary folder.

Used by the database tests (``tests/database/conftest.py``) and the database benchmark
(``bench/bench_database.py``). The server binaries come from Debian's ``postgresql``
package; the server refuses to run as root, so as root it runs as the ``postgres`` user
that package creates. It listens on 127.0.0.1 on a free port, with password
authentication, and is stopped (and its folder removed) when the context ends.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["INSTALL_HINT", "server_bin", "throwaway_postgres"]

INSTALL_HINT = (
    "PostgreSQL server binaries not found (initdb, pg_ctl): install Debian's postgresql "
    "package (apt-get install postgresql)"
)


def server_bin() -> Path | None:
    """Return the folder of ``initdb`` and ``pg_ctl`` (the newest installed), or ``None``."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if found:
        return found[0].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def throwaway_postgres(user: str, password: str) -> Iterator[str]:
    """Start a server; yield ``postgresql://user:password@127.0.0.1:<port>/postgres``."""
    bin_dir = server_bin()
    if bin_dir is None:
        raise FileNotFoundError(INSTALL_HINT)
    # Not under pytest's own temporary folder: that is private to the user running the
    # tests, and the server may run as another user.
    home = Path(tempfile.mkdtemp(prefix="segmentkit-postgres-"))
    data, password_file, log = home / "data", home / "password", home / "server.log"
    password_file.write_text(password + "\n")
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (home, password_file):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    initdb = [
        str(bin_dir / "initdb"),
        *("-D", str(data), "-U", user, "--auth=scram-sha-256", f"--pwfile={password_file}"),
        *("--encoding=UTF8", "--no-sync"),
    ]
    subprocess.run(_as_server_user(initdb), check=True, capture_output=True)
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data)]
    start = [*pg_ctl, "-o", options, "-l", str(log), "-w", "start"]
    subprocess.run(_as_server_user(start), check=True, capture_output=True)
    try:
        yield f"postgresql://{user}:{password}@127.0.0.1:{port}/postgres"
    finally:
        stop = [*pg_ctl, "-m", "immediate", "stop"]
        subprocess.run(_as_server_user(stop), capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
