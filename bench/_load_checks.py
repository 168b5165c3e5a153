"""After a bench/load.py run: lost or duplicated effects, counted from the database (task
completions, process starts, trades with their certificates and ledger movements)."""
from __future__ import annotations

import collections
from decimal import Decimal

from _common import make_app


def check_effects(url: str, stats, seed) -> dict[str, int]:
    """Each acknowledged completion happened once; a 409 "already done" means another client
    did it; nothing was completed without an acknowledgement; each acknowledged start is one
    instance; each completed trade has one certificate and moved exactly its amounts; the
    ledger's books balance (`ledger-check`)."""
    from sqlalchemy import select

    from app.engine.models import AuditEvent, HumanTask, ProcessInstance
    from app.extensions import db
    from app.ledger import services as ledger
    from app.trading.models import Certificate

    app = make_app(url)
    with app.app_context():
        audits = collections.Counter(db.session.scalars(
            select(AuditEvent.task_id).where(AuditEvent.action == "task_completed")))
        tasks = {row.id: row for row in db.session.execute(
            select(HumanTask.id, HumanTask.state, HumanTask.process_key))}
        instances = dict(db.session.execute(
            select(ProcessInstance.id, ProcessInstance.key)).all())
        trade_status = collections.Counter(db.session.scalars(
            select(ProcessInstance.status).where(ProcessInstance.key == "trade")))
        certificates = db.session.execute(
            select(Certificate.instance_id, Certificate.seller, Certificate.amounts)).all()
        completed_trades = set(db.session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.key == "trade", ProcessInstance.status == "completed")))
        incidents = db.session.execute(select(ProcessInstance.id, ProcessInstance.key,
                                              ProcessInstance.incident_message).where(
            ProcessInstance.status == "incident")).all()
        moved: collections.Counter = collections.Counter()
        for _, seller, amounts in certificates:
            for tonnes in amounts.values():
                moved[seller] += Decimal(str(tonnes))
        sold_short = sum(
            1 for county in seed.counties
            if county.seeded_tonnes - sum(ledger.balances(county.seller_account).values())
            != moved[county.seller_account])
        buyers_got = sum(
            (sum(ledger.balances(f"enterprise:{eid}").values(), Decimal(0))
             for eid in db.session.scalars(select(Certificate.buyer_id).distinct())),
            Decimal(0))
        ledger_differences = len(ledger.ledger_check())
        db.engine.dispose()

    acks = stats.acks  # task id → statuses answered to every client that tried it
    ok = {t for t, statuses in acks.items() if 200 in statuses}
    lost = sum(1 for t in ok if audits[t] != 1 or tasks[t].state != "completed")
    duplicated = (sum(1 for n in audits.values() if n > 1)
                  + sum(1 for statuses in acks.values() if statuses.count(200) > 1))
    refused_undone = sum(1 for t, statuses in acks.items()
                         if 409 in statuses and audits[t] == 0)
    unacknowledged = sum(1 for t in audits if t not in ok)
    suspects = [t for t, statuses in acks.items()
                if statuses.count(200) > 1 or audits[t] > 1 or (200 in statuses) != (audits[t] == 1)
                or (409 in statuses and audits[t] == 0)]
    for t in suspects[:10]:  # what to look at when a count below is not 0
        row = tasks.get(t)
        print(f"  suspect task {t} ({row.process_key if row else '?'}): answers {acks[t]}, "
              f"{audits[t]} completion audit(s), state {row.state if row else '?'}")
    for inst_id, key, message in incidents[:5]:
        print(f"  incident: {key} instance {inst_id}: {(message or '').splitlines()[-1:]}")
    per_process = collections.Counter(tasks[t].process_key for t in audits if t in tasks)
    certified = collections.Counter(i for i, _, _ in certificates)
    out = {
        "acknowledged completions": len(ok),
        "completions recorded (one audit each)": sum(audits.values()),
    }
    for key, n in sorted(per_process.items()):
        out[f"  of which {key}"] = n
    out.update({
        "409 already done (another client won)": sum(
            statuses.count(409) for statuses in acks.values()),
        "lost completions": lost,
        "duplicated completions": duplicated,
        "409 on a task nobody completed": refused_undone,
        "completions without acknowledgement": unacknowledged,
        "acknowledged synthetic starts": len(stats.started),
        "lost starts": sum(1 for i in set(stats.started) if instances.get(i) != "bench_load"),
        "duplicated starts": len(stats.started) - len(set(stats.started)),
        "acknowledged trade starts": len(stats.trades),
        "lost trade starts": sum(1 for i in set(stats.trades) if instances.get(i) != "trade"),
        "duplicated trade starts": len(stats.trades) - len(set(stats.trades)),
        "trades by status": dict(trade_status),
        "completed trades without exactly one certificate": sum(
            1 for i in completed_trades if certified[i] != 1),
        "trades with more than one certificate": sum(1 for n in certified.values() if n > 1),
        "instances in incident": len(incidents),
        "sellers whose rights moved ≠ certificates": sold_short,
        "tonnes bought ≠ tonnes held by buyers": int(buyers_got != sum(moved.values())),
        "ledger-check differences": ledger_differences,
    })
    return out


BAD = ("lost completions", "duplicated completions", "409 on a task nobody completed",
       "completions without acknowledgement", "lost starts", "duplicated starts",
       "lost trade starts", "duplicated trade starts",
       "completed trades without exactly one certificate",
       "trades with more than one certificate", "instances in incident",
       "sellers whose rights moved ≠ certificates",
       "tonnes bought ≠ tonnes held by buyers", "ledger-check differences")
