"""`flask erflow backup`: an online copy of a SQLite database, or pg_dump for PostgreSQL."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.engine import make_url


def _default_target(suffix: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(current_app.instance_path) / "backups" / f"erflow-{stamp}{suffix}"


def sqlite_backup(source: str, target: Path) -> Path:
    """SQLite's online backup API: a consistent copy while web and worker processes keep writing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(str(target))
    try:
        with dst:
            src.backup(dst, pages=1024)
    finally:
        dst.close()
        src.close()
    return target


def pg_dump_args(url, target: Path) -> tuple[list[str], dict[str, str]]:
    """pg_dump in its custom format (compressed, restorable table by table with pg_restore)."""
    args = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    args.append(url.database or "postgres")
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, env


def register(group) -> None:
    @group.command("backup")
    @click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
                  help="File to write (default: instance/backups/erflow-<UTC time>.*).")
    @click.option("--execute/--print-only", default=False,
                  help="PostgreSQL: run pg_dump (default: print the command to run).")
    def backup_command(output: Path | None, execute: bool) -> None:
        """Back up the database: SQLite is copied online; for PostgreSQL the pg_dump command is
        printed (or run with --execute). See docs/operations.md for restore and scheduling."""
        url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:":
                raise click.ClickException("an in-memory SQLite database cannot be backed up")
            target = sqlite_backup(url.database, output or _default_target(".sqlite3"))
            click.echo(f"SQLite backup written to {target}")
            return
        if url.get_backend_name() != "postgresql":
            raise click.ClickException(f"no backup method for {url.get_backend_name()}")
        target = output or _default_target(".dump")
        args, env = pg_dump_args(url, target)
        shown = " ".join(args)
        if not execute:
            click.echo("PostgreSQL: back up with pg_dump (custom format; restore with pg_restore):")
            click.echo(("  PGPASSWORD=… " if env else "  ") + shown)
            click.echo("Run `flask erflow backup --execute` to run it now; "
                       "see docs/operations.md for schedules, WAL archiving and restore.")
            return
        if shutil.which("pg_dump") is None:
            raise click.ClickException("pg_dump not found: install the postgresql-client package")
        target.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True)
        if result.returncode != 0:
            raise click.ClickException(f"pg_dump failed: {result.stderr.strip()}")
        click.echo(f"PostgreSQL backup written to {target}")
