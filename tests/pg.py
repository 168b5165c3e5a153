"""A PostgreSQL server for one test session, and cheap per-test databases cloned from a template.

`start_server()` uses the server named by ERFLOW_TEST_PG_URL (it needs CREATEDB), or initdb's a
throwaway cluster in a temp dir with Debian's binaries (/usr/lib/postgresql/<v>/bin), tuned for
speed (fsync, synchronous_commit, full_page_writes off: the data is thrown away). initdb and
postgres refuse to run as root, so as root the cluster runs as the `postgres` user (the Debian
package creates it) or, if absent, a system user `erflow-test` made here. The schema is built once
into a template database; each test gets `CREATE DATABASE … TEMPLATE …`, dropped after.
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
    "log_min_messages": "warning",
}
START_TIMEOUT = 60.0


class PgServer:
    """A reachable server: makes, clones and drops databases; stops the cluster it started."""

    def __init__(self, admin_url: URL, *, process: subprocess.Popen | None = None, workdir=None):
        self.admin_url = admin_url.set(drivername="postgresql+psycopg")
        self._process = process
        self._workdir = workdir
        self._prefix = f"erflow_test_{os.getpid()}"
        self._counter = itertools.count(1)
        self.template: str | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-clone")
        self._spare: Future[str] | None = None

    def url(self, database: str) -> str:
        return self.admin_url.set(database=database).render_as_string(hide_password=False)

    def _execute(self, statement: sql.Composable) -> None:
        url = self.admin_url
        try:
            with psycopg.connect(
                host=url.host, port=url.port, user=url.username, password=url.password,
                dbname=url.database or "postgres", autocommit=True, connect_timeout=10,
            ) as conn:
                conn.execute(statement)
        except psycopg.OperationalError as exc:
            raise self._explain(exc) from exc

    def _explain(self, exc: Exception) -> Exception:
        """A server we started that stopped under us says why (its log's last lines)."""
        if self._process is None or (self._process.poll() is None and not self._stopping()):
            return exc
        log = (self._workdir / "postgres.log").read_text(errors="replace").splitlines()
        tail = "\n".join(line for line in log if "checkpoint" not in line)[-2000:]
        return RuntimeError(
            "the test PostgreSQL server stopped during the run (tests/pg.py stops it only at the "
            f"end, so something else did); its log ends:\n{tail}"
        )

    def _stopping(self) -> bool:
        log = self._workdir / "postgres.log"
        return log.exists() and "shutdown request" in log.read_text(errors="replace")[-20000:]

    def create_template(self, build_schema) -> None:
        """Make the template database and let `build_schema(url)` create the tables in it."""
        self.template = f"{self._prefix}_template"
        self.drop(self.template)
        self._execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.template)))
        build_schema(self.url(self.template))

    def create_empty(self) -> str:
        """A database without tables (for migrations); drop it with `drop`."""
        name = f"{self._prefix}_empty_{next(self._counter)}"
        self._execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def clone(self) -> str:
        """A fresh database with the template's schema.

        Copying takes ~0.1 s, so the next copy is made in the background while a test runs.
        """
        if self._spare is None:
            self._spare = self._pool.submit(self._copy_template)
        name = self._spare.result()
        self._spare = self._pool.submit(self._copy_template)
        return name

    def _copy_template(self) -> str:
        name = f"{self._prefix}_{next(self._counter)}"
        self._execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(self.template)
            )
        )
        return name

    def drop(self, name: str) -> None:
        # FORCE ends connections a test's engine left open in its pool.
        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def stop(self) -> None:
        if self._spare is not None:
            spare, self._spare = self._spare, None
            if spare.exception() is None:
                self.drop(spare.result())
        self._pool.shutdown()
        if self.template and self._process is None:
            self.drop(self.template)  # a shared server keeps nothing of ours
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)  # "fast" shutdown
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)


def start_server(settings: dict[str, str] | None = None) -> PgServer:
    """Use ERFLOW_TEST_PG_URL when set, else start a private cluster (`settings` override the
    test defaults, e.g. durable ones for a benchmark)."""
    url = os.environ.get("ERFLOW_TEST_PG_URL")
    if url:
        return PgServer(make_url(url))
    return _start_private_cluster(settings or {})


def _pg_bindir() -> Path:
    def version(initdb: str) -> int:
        name = Path(initdb).parent.parent.name
        return int(name) if name.isdigit() else 0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError(
        "PostgreSQL server binaries not found (initdb). Install them with `make system-deps` "
        "(Debian package `postgresql`) or point ERFLOW_TEST_PG_URL at a server."
    )


def _cluster_user() -> pwd.struct_passwd | None:
    """None when we are not root (then the cluster runs as us)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "erflow-test"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "erflow-test"],
        check=True,
    )
    return pwd.getpwnam("erflow-test")


def _stop_with_parent() -> None:
    """In the server's process before exec: a fast shutdown (SIGINT) when the process that started
    it dies, so a killed test run leaves no server behind (Linux PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_private_cluster(extra: dict[str, str]) -> PgServer:
    bindir = _pg_bindir()
    user = _cluster_user()
    workdir = Path(tempfile.mkdtemp(prefix="erflow-pg-"))
    as_user: dict = {}
    if user is not None:
        os.chown(workdir, user.pw_uid, user.pw_gid)
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    data = workdir / "data"
    subprocess.run(
        [bindir / "initdb", "-D", data, "-U", "erflow", "-A", "trust", "-E", "UTF8",
         "--locale=C", "--no-sync", "--no-instructions"],
        check=True, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **as_user,
    )
    port = _free_port()
    settings = {**SERVER_SETTINGS, **extra, "port": str(port),
                "unix_socket_directories": str(workdir)}
    args = [bindir / "postgres", "-D", data]
    for key, value in settings.items():
        args += ["-c", f"{key}={value}"]
    log = open(workdir / "postgres.log", "wb")  # kept open as long as the server runs
    process = subprocess.Popen(
        args, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=_stop_with_parent, **as_user,
    )
    server = PgServer(
        URL.create("postgresql+psycopg", username="erflow", host="127.0.0.1", port=port,
                   database="postgres"),
        process=process, workdir=workdir,
    )
    _wait_ready(server, workdir / "postgres.log")
    return server


def _wait_ready(server: PgServer, logfile: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server._process.poll() is not None:
            log = logfile.read_text(errors="replace")
            raise RuntimeError(f"postgres exited at start-up:\n{log}")
        try:
            server._execute(sql.SQL("SELECT 1"))
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"postgres not accepting connections: {exc}") from exc
            time.sleep(0.05)  # start-up poll, not a test sleep
