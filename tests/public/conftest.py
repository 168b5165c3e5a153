"""Public disclosure test data: certificates (completed trades), reserve lots, a trade instance
row, a fee notice and a decided review for the printable pages, and a unit's contact user whose
personal data must never show (R38). Reuses the inbox fixtures for real allocations under
publication."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.common import clock
from app.engine.models import AuditEvent, ProcessInstance, ProcessVersion
from app.extensions import db
from tests.inbox.conftest import (  # noqa: F401
    COUNTY_A,
    deployed,
    make_task,
    monday,
    staff,
    start_allocation,
)

CONTACT = {"username": "zhang_contact_88", "display_name": "张联系人",
           "email": "zhang88@example.cn"}
XIHU, GONGSHU, CHANGAN = "330106", "330105", "130102"  # 杭州西湖, 杭州拱墅, 石家庄长安


@pytest.fixture
def issue_certificate(app):
    """Register a certificate (a completed trade) issued at `at` (UTC)."""
    from app.trading import certificates

    def build(*, buyer, seller: str, amounts: dict, at: datetime, region_code: str = XIHU,
              price: str = "5000.00", method: str = "agreement", instance_id: int = 0):
        clock.set_now(at)
        tonnes = sum(Decimal(v) for v in amounts.values())
        cert = certificates.issue(
            instance_id=instance_id, buyer_id=buyer.id, seller=seller, region_code=region_code,
            amounts=amounts, price_per_tonne=Decimal(price), total_price=Decimal(price) * tonnes,
            method=method, registration="standard", valid_from=date(2026, 1, 1),
            valid_to=date(2030, 12, 31))
        db.session.commit()
        return cert

    return build


@pytest.fixture
def disclosure(app, make_enterprise, make_user, issue_certificate):
    """Three units (two in 西湖区, one in 石家庄长安区), the first with a contact user; five
    certificates over three months; reserves of 西湖区, 杭州市 and 浙江省 holding rights."""
    from app.ledger import services as ledger

    clock.set_now(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    alpha = make_enterprise(name="甲化工有限公司", region_code=XIHU)
    beta = make_enterprise(name="乙印染有限公司", region_code=GONGSHU)
    gamma = make_enterprise(name="丙钢铁有限公司", region_code=CHANGAN)
    contact = make_user(roles=["enterprise"], enterprise=alpha, **CONTACT)
    certs = [
        issue_certificate(buyer=alpha, seller=f"enterprise:{beta.id}", amounts={"COD": "1.0000"},
                          at=datetime(2026, 1, 10, 2, 0, tzinfo=UTC)),
        issue_certificate(buyer=beta, seller=f"reserve:{XIHU}", amounts={"SO2": "2.5000"},
                          at=datetime(2026, 2, 10, 2, 0, tzinfo=UTC), price="6000.00",
                          method="listing"),
        issue_certificate(buyer=alpha, seller=f"enterprise:{beta.id}",
                          amounts={"COD": "0.5000", "NOx": "0.2000"},
                          at=datetime(2026, 2, 20, 2, 0, tzinfo=UTC), region_code=GONGSHU),
        issue_certificate(buyer=gamma, seller=f"reserve:{CHANGAN}", amounts={"SO2": "3.0000"},
                          at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC), region_code=CHANGAN,
                          method="auction"),
        issue_certificate(buyer=beta, seller=f"enterprise:{alpha.id}", amounts={"NH3-N": "0.1"},
                          at=datetime(2026, 3, 31, 17, 0, tzinfo=UTC)),  # 2026-04-01 01:00 local
    ]
    clock.set_now(datetime(2026, 4, 2, 2, 0, tzinfo=UTC))
    for owner, pollutant, tonnes in ((f"reserve:{XIHU}", "COD", "4.0000"),
                                     (f"reserve:{XIHU}", "SO2", "1.5000"),
                                     ("reserve:330100", "COD", "10.0000"),
                                     ("reserve:330000", "NOx", "20.0000"),
                                     (f"reserve:{CHANGAN}", "SO2", "7.0000")):
        ledger.create_lot(owner=owner, pollutant=pollutant, tonnes=tonnes,
                          valid_from=date(2026, 1, 1), valid_to=date(2030, 12, 31),
                          acquisition="free")
    db.session.commit()
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "contact": contact, "certs": certs}


@pytest.fixture
def trade(app, make_enterprise, issue_certificate):
    """A trade instance row of 西湖区 (started 2026-03-02) with its certificate."""
    clock.set_now(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    buyer = make_enterprise(name="丁制药有限公司", region_code=XIHU)
    seller = make_enterprise(name="戊纺织有限公司", region_code=XIHU)
    version = ProcessVersion(key="trade", version=1, name="排污权交易", bpmn_xml="<x/>",
                             content_hash="t", spec_json="{}", deployed_at=clock.now())
    db.session.add(version)
    db.session.flush()
    inst = ProcessInstance(
        key="trade", version=1, version_id=version.id, status="running", state_json="{}",
        business_key="JY-2026-000007", handling_region=XIHU, enterprise_id=buyer.id,
        started_at=clock.now(),
        summary={"buyer_id": buyer.id, "seller": f"enterprise:{seller.id}",
                 "amounts": {"COD": "1.0000"}, "method": "agreement",
                 "price_per_tonne": "5000.00", "total_price": "5000.00",
                 "project": {"name": "新建制剂车间"}})
    db.session.add(inst)
    db.session.commit()
    cert = issue_certificate(buyer=buyer, seller=f"enterprise:{seller.id}",
                             amounts={"COD": "1.0000"}, instance_id=inst.id,
                             at=datetime(2026, 3, 20, 2, 0, tzinfo=UTC))
    return inst, cert


@pytest.fixture
def fee_notice(app, make_enterprise):
    """A fee notice (R15) of 西湖区 issued 2025-10-10 for 1 t COD."""
    from app.ledger import fees

    clock.set_now(datetime(2025, 10, 10, 2, 0, tzinfo=UTC))
    notice = fees.issue_notice(
        enterprise_id=make_enterprise().id, region_code=XIHU, amounts={"COD": "1.0000"},
        valid_from=date(2026, 3, 18), valid_to=date(2030, 12, 31), finalised_at=clock.now(),
        payment_days=30, notice_working_days=10)
    db.session.commit()
    return notice


@pytest.fixture
def decided_review(make_task, staff, monday):  # noqa: F811  (the imported fixtures)
    """Build a review of 西湖区 that `owner` started and the approver decided ("同意") on the
    inbox Monday; returns its instance."""

    def build(*, owner, business_key: str) -> ProcessInstance:
        task = make_task(started_by=owner.id, region_code=XIHU, enterprise_id=owner.enterprise_id,
                         business_key=business_key)
        inst = db.session.get(ProcessInstance, task.instance_id)
        inst.business_key, inst.enterprise_id, inst.handling_region = business_key, \
            owner.enterprise_id, XIHU
        db.session.add(AuditEvent(at=clock.now(), actor_id=staff["approver"].id,
                                  instance_id=inst.id, task_id=task.id, task_name="approve",
                                  action="task_completed",
                                  detail={"decision": "approve", "opinion": "同意"}))
        db.session.commit()
        return inst

    return build
