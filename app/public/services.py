"""Public disclosure reads (R38): allocations under publication. No personal data leaves here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.auth.models import Enterprise
from app.common import clock
from app.engine.models import ProcessInstance
from app.extensions import db


@dataclass(frozen=True)
class Publication:
    instance_id: int
    business_key: str | None
    enterprise_id: int | None
    enterprise_name: str | None
    region_code: str | None
    amounts: dict
    published_at: datetime | None
    window_closes_at: datetime | None


def _time(value) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=clock.SHANGHAI)


def publications() -> list[Publication]:
    """Running allocations whose publication window (R12) is still open, closing soonest first."""
    now = clock.now()
    rows = db.session.scalars(
        select(ProcessInstance).where(
            ProcessInstance.key == "allocation", ProcessInstance.status == "running"
        )
    ).all()
    found = []
    for inst in rows:
        summary = inst.summary or {}
        closes = _time(summary.get("window_closes_at"))
        if closes is None or closes <= now or summary.get("final_amounts"):
            continue
        found.append((inst, summary, closes))
    ids = {inst.enterprise_id or summary.get("enterprise_id") for inst, summary, _ in found}
    ids = {int(i) for i in ids if i not in (None, "")}
    names = dict(db.session.execute(
        select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids))
    ).all()) if ids else {}
    regions = dict(db.session.execute(
        select(Enterprise.id, Enterprise.region_code).where(Enterprise.id.in_(ids))
    ).all()) if ids else {}
    out = []
    for inst, summary, closes in sorted(found, key=lambda item: item[2]):
        ent = inst.enterprise_id or summary.get("enterprise_id")
        ent = int(ent) if ent not in (None, "") else None
        out.append(Publication(
            instance_id=inst.id, business_key=inst.business_key, enterprise_id=ent,
            enterprise_name=names.get(ent), region_code=regions.get(ent),
            amounts={str(k): str(v) for k, v in (summary.get("amounts") or {}).items()},
            published_at=_time(summary.get("published_at")), window_closes_at=closes,
        ))
    return out
