"""The scale suite: the grader against a real PostgreSQL server and a real Dask cluster.

``make scale`` (part of ``make test``) runs it where PostgreSQL and bubblewrap are installed and
says loudly when they are not (an error when REQUIRE_SCALE=1, as ``.ci/run`` sets). Here both are
required: a machine without them fails every test instead of skipping them.

The ``postgres`` fixture starts a throwaway PostgreSQL server once per test process (``-n 2``:
one each), the way an administrator would: ``initdb`` (as the ``postgres`` user when we are
root: the server refuses to run as root), password authentication over TCP for a login role
that owns the databases, fsync off (nothing here needs to survive a crash), a fast shutdown
(SIGINT) at the end. ``fresh_database()`` gives each test or module an empty database of its
own on that server.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # pipeline_fixtures

MISSING_POSTGRES = "the scale suite needs PostgreSQL: apt-get install postgresql"
ROLE = "grader"
DRIVER = "postgresql+psycopg2"
START_TIMEOUT = 30.0


def postgres_bindir() -> Path | None:
    """Where ``initdb`` and ``postgres`` live: $PG_BINDIR, PATH, or Debian's versioned folder
    (Debian does not put them on PATH), newest version first."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    found = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(p) for p in sorted(found, key=lambda p: int(Path(p).parent.name)
                                           if Path(p).parent.name.isdigit() else 0,
                                           reverse=True)]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


@dataclass(frozen=True)
class Postgres:
    """A database on the throwaway server and how to reach it as the ``grader`` role.

    The password holds characters that need quoting in a URL and escaping in a .pgpass file
    (``:``, ``@``, ``/``, ``%``), so every way of passing it is exercised for real; ``token``
    is its random core, the string to look for when checking that it leaked nowhere.
    """

    host: str
    port: int
    user: str
    password: str
    dbname: str
    token: str
    admin_socket: str  # Unix socket folder; the superuser connects through it without password

    @property
    def url(self) -> str:
        return (f"{DRIVER}://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
                f"@{self.host}:{self.port}/{self.dbname}")

    @property
    def url_without_password(self) -> str:
        return f"{DRIVER}://{quote(self.user, safe='')}@{self.host}:{self.port}/{self.dbname}"

    @property
    def secrets(self) -> list[str]:
        """Every form the password could take in text: raw, URL-quoted, and its random core."""
        return [self.password, quote(self.password, safe=""), quote(self.password), self.token]

    def admin(self):
        """A psycopg2 connection as the superuser (autocommit), over the Unix socket."""
        import psycopg2

        conn = psycopg2.connect(host=self.admin_socket, port=self.port, user="postgres",
                                dbname="postgres")
        conn.autocommit = True
        return conn

    def fresh_database(self, name: str | None = None) -> Postgres:
        """A new empty database owned by the role; the same server, password and role."""
        name = name or f"gb_{secrets.token_hex(6)}"
        conn = self.admin()
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}" OWNER "{self.user}"')
        finally:
            conn.close()
        return replace(self, dbname=name)

    def pgpass_line(self) -> str:
        """This database's line for a .pgpass file (``:`` and ``\\`` escaped, as libpq wants)."""
        def esc(value: str) -> str:
            return value.replace("\\", "\\\\").replace(":", "\\:")

        return ":".join(esc(str(v)) for v in (self.host, self.port, self.dbname, self.user,
                                                self.password)) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres_user() -> dict:
    """Popen keywords that drop root to the ``postgres`` user (no-op for an ordinary user)."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail(f"{MISSING_POSTGRES} (running as root, and there is no 'postgres' user "
                    "to run the server as)")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _chown_tree(path: Path, user: dict) -> None:
    if user:
        os.chown(path, user["user"], user["group"])


def _wait_ready(proc: subprocess.Popen, server: Postgres, log: Path) -> bool:
    """True once the server answers; False if it exited (e.g. the port was taken)."""
    import psycopg2

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            server.admin().close()
            return True
        except psycopg2.OperationalError:
            time.sleep(0.1)
    proc.send_signal(signal.SIGQUIT)
    pytest.fail(f"PostgreSQL did not start within {START_TIMEOUT:.0f} s: "
                f"{log.read_text()[-2000:]}")


@pytest.fixture(autouse=True, scope="session")
def _tools_are_there():
    if shutil.which("bwrap") is None:
        pytest.fail("the scale suite needs bubblewrap: apt-get install bubblewrap")
    if postgres_bindir() is None:
        pytest.fail(MISSING_POSTGRES)
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        pytest.fail("the scale suite needs psycopg2: pip install psycopg2-binary")


@pytest.fixture(scope="session")
def postgres(_tools_are_there) -> Postgres:
    """A PostgreSQL server for this test process, with a password-protected ``grader`` role.

    Yields the ``postgres`` database's coordinates; use ``fresh_database()`` for a database of
    one's own. Stopped (fast shutdown) and deleted at the end of the session.
    """
    bindir = postgres_bindir()
    user = _as_postgres_user()
    base = Path(tempfile.mkdtemp(prefix="autodiff-pg-"))  # under /tmp: reachable by postgres
    data, sockets, log = base / "data", base / "sock", base / "server.log"
    for folder in (base, sockets):
        folder.mkdir(exist_ok=True)
        _chown_tree(folder, user)
    token = secrets.token_hex(12)
    password = f"pw{token}:@/%x"
    proc = None
    try:
        init = subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
             "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "-N"],
            capture_output=True, text=True, timeout=120, **user)
        if init.returncode != 0:
            pytest.fail(f"initdb failed: {init.stderr[-2000:]}")
        for _attempt in range(5):  # a port probed free can be taken before the server binds
            port = _free_port()
            server = Postgres("127.0.0.1", port, ROLE, password, "postgres", token,
                              str(sockets))
            with open(log, "ab") as out:
                proc = subprocess.Popen(
                    [str(bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1",
                     "-p", str(port), "-k", str(sockets), "-c", "fsync=off",
                     "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                     "-c", "max_connections=200"],
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **user)
            if _wait_ready(proc, server, log):
                break
            proc = None
        else:
            pytest.fail(f"PostgreSQL did not start on any of 5 ports: {log.read_text()[-2000:]}")
        conn = server.admin()
        with conn.cursor() as cur:  # the password goes as a parameter, on no command line
            cur.execute(f'CREATE ROLE "{ROLE}" LOGIN PASSWORD %s', (password,))
        conn.close()
        yield server
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def database(postgres) -> Postgres:
    """An empty database of this test's own."""
    return postgres.fresh_database()
