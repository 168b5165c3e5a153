"""Seed data for bench/load.py: regions, two reviewers and two handlers per county, the enterprises
and rights the real `trade` procedure needs for a whole run, the synthetic review process and its
backlog. Everything goes in through the services the application itself uses."""
from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from _common import ROOT, make_app

DIAGRAM = Path(__file__).resolve().parent / "fixtures" / "load_review.bpmn"
FORM = Path(__file__).resolve().parent / "fixtures" / "forms" / "bench_review.schema.json"
SYNTHETIC_STEPS = 5
PASSWORD = "bench-pass-1"
# Zhejiang counties: same-county surplus transfers (ZJ §4(4)); Hebei (Shijiazhuang) districts: the
# green channel, < 1 t bought from the county reserve by agreement (R29, SJZ §2(5)).
HEBEI_COUNTIES = ("130102", "130104")
SURPLUS = {"pollutant": "COD", "tonnes": "0.5000", "price": "4200.00"}  # ≥ the ZJ fee standard
GREEN = {"pollutant": "SO2", "tonnes": "0.5000", "price": "5000.00"}  # the R21 benchmark
TERM = {"valid_from": date(2026, 1, 1), "valid_to": date(2030, 12, 31)}


@dataclass
class County:
    code: str
    kind: str  # "surplus" (Zhejiang) or "green" (Hebei)
    reviewers: list[str] = field(default_factory=list)  # usernames
    handlers: list[str] = field(default_factory=list)
    buyers: list[str] = field(default_factory=list)  # enterprise users, one per buying unit
    seller: str = ""  # the trade's `seller`: an enterprise id or reserve:<code>
    seller_account: str = ""  # ledger owner of what is sold
    seeded_tonnes: Decimal = Decimal(0)


@dataclass
class Seed:
    counties: list[County]
    users: dict[str, int]  # username → id
    backlog: int


def trade_start(county: County, serial: int) -> dict:
    """API.md start data of one trade, as the buying unit sends it."""
    terms = SURPLUS if county.kind == "surplus" else GREEN
    amounts = {terms["pollutant"]: terms["tonnes"]}
    name = ("技改扩建项目" if county.kind == "surplus" else "超低排放改造配套项目") + f" {serial}"
    return {"seller": county.seller, "amounts": amounts, "method": "agreement",
            "price_per_tonne": terms["price"],
            "project": {"name": name, "substitution": dict(amounts)}}


def prepare(url: str, *, surplus_counties: int, buyers: int, trades: int, backlog: int) -> Seed:
    """Migrate, deploy bpmn/ and the synthetic diagram, and seed a run: `trades` is how many
    trades the run may start (rights are seeded for all of them, twice over)."""
    env = {**os.environ, "DATABASE_URL": url, "ERFLOW_ENV": "development", "PYTHONPATH": str(ROOT)}
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
    for args in (["db", "upgrade"], ["erflow", "deploy", "bpmn/"]):
        subprocess.run(flask + args, env=env, cwd=ROOT, check=True, capture_output=True)
    from sqlalchemy import select

    from app import engine
    from app.auth.credit_code import make_credit_code
    from app.auth.enterprises import create_enterprise
    from app.auth.models import Region
    from app.auth.services import create_user
    from app.common.regions import seed_regions
    from app.extensions import db
    from app.ledger import services as ledger

    app = make_app(url, ERFLOW_PASSWORD_HASH_METHOD="scrypt:1024:8:1")
    with app.app_context():
        seed_regions()
        zhejiang = list(db.session.scalars(
            select(Region.code).where(Region.level == "county", Region.code.startswith("33"))
            .order_by(Region.code).limit(surplus_counties)))
        counties = ([County(c, "surplus") for c in zhejiang]
                    + [County(c, "green") for c in HEBEI_COUNTIES])
        engine.save_form_file(filename=FORM.name, content=json.loads(FORM.read_text("utf-8")),
                              author_id=None, comment="bench")
        engine.deploy({DIAGRAM.name: DIAGRAM.read_text("utf-8")}, actor_id=None)
        users: dict[str, int] = {}

        def person(username: str, roles: list[str], **extra) -> str:
            user = create_user(username=username, password=PASSWORD, roles=roles,
                               display_name=username, **extra)
            db.session.flush()
            users[username] = user.id
            return username

        serial = iter(range(1, 10**6))
        per_county = Decimal(trades) / len(counties) * 2 + 10  # twice what a run can buy

        def unit(county: County, label: str, **extra):
            n = next(serial)
            return create_enterprise(
                name=f"基准{label}{county.code}-{n}", region_code=county.code,
                credit_code=make_credit_code(n, division=county.code), source_type="industrial",
                industry="化工", permit_no=f"BENCH{county.code}{n:05d}", permit_class="key",
                auto_monitoring=True, grade="B", **extra)

        for county in counties:
            for i in (1, 2):  # two of each, so two clients compete for every task
                county.reviewers.append(person(f"reviewer_{county.code}_{i}", ["reviewer"],
                                               region_code=county.code))
                county.handlers.append(person(f"handler_{county.code}_{i}", ["handler"],
                                              region_code=county.code))
            for i in range(buyers):
                buyer = unit(county, "购买方")
                county.buyers.append(person(f"buyer_{county.code}_{i}", ["enterprise"],
                                            enterprise_id=buyer.id))
            terms = SURPLUS if county.kind == "surplus" else GREEN
            tonnes = (per_county * Decimal(terms["tonnes"])).quantize(Decimal("0.0001"))
            if county.kind == "surplus":  # R19: paid rights, automatic monitoring
                seller = unit(county, "转让方")
                county.seller, county.seller_account = str(seller.id), f"enterprise:{seller.id}"
                acquisition = "paid"
            else:
                county.seller = county.seller_account = f"reserve:{county.code}"
                acquisition = "free"
            ledger.register_lot(owner=county.seller_account, pollutant=terms["pollutant"],
                                tonnes=str(tonnes), acquisition=acquisition, **TERM)
            county.seeded_tonnes = tonnes
        db.session.commit()
        synthetic = [c for c in counties if c.kind == "surplus"]
        t0 = time.perf_counter()
        for i in range(backlog):
            county = synthetic[i % len(synthetic)]
            engine.start("bench_load", {}, actor_id=users[county.handlers[i % 2]],
                         handling_region=county.code)
            db.session.commit()
            if i and i % 500 == 0:
                rate = i / (time.perf_counter() - t0)
                print(f"  backlog: {i}/{backlog} instances ({rate:.0f}/s)", flush=True)
        db.engine.dispose()
    return Seed(counties=counties, users=users, backlog=backlog)
