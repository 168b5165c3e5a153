"""`flask erflow calendar-load YEAR FILE.json` (R4) and `flask erflow ledger-check` (R37)."""
from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import AppGroup


def _read_days(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    days = data.get("days") if isinstance(data, dict) else data
    if not isinstance(days, list):
        raise click.ClickException('the file must hold {"days": [...]} or a list of days')
    return days


def register(group: AppGroup) -> None:
    @group.command("calendar-load")
    @click.argument("year", type=int)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    def calendar_load(year: int, file: str) -> None:
        """Load YEAR's working-day schedule from FILE: {"days":[{"date","workday","note"}]}."""
        from app.common.calendar import DaySpec, load_year
        from app.errors import ValidationFailed
        from app.extensions import db

        try:
            specs = [
                DaySpec(date.fromisoformat(d["date"]), bool(d["workday"]), d.get("note"))
                for d in _read_days(file)
            ]
            result = load_year(year=year, days=specs)
        except (KeyError, TypeError, ValueError) as exc:
            raise click.ClickException(f"bad calendar file: {exc}") from exc
        except ValidationFailed as exc:
            db.session.rollback()
            raise click.ClickException(f"{exc.message}: {exc.fields}") from exc
        db.session.commit()
        click.echo(f"{result.year}: {result.days} days loaded, {result.recomputed} deadlines "
                   "recomputed")

    @group.command("ledger-check")
    def ledger_check() -> None:
        """Recompute every lot's balance from the ledger entries; exit 1 on any difference (R37)."""
        from app.ledger.services import ledger_check as check

        diffs = check()
        for diff in diffs:
            click.echo(diff.message)
        click.echo(f"{len(diffs)} differences")
        if diffs:
            raise SystemExit(1)
