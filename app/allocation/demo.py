"""Demo allocations in every state (drafting, published, objected, overdue review, final and
paid, fee unpaid past its deadline), made by running the real diagram with the clock moved back.
Idempotent: units that already have an allocation are left alone."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app import engine
from app.allocation import policy, services
from app.auth.credit_code import make_credit_code
from app.auth.enterprises import create_enterprise
from app.auth.models import Enterprise, User
from app.common import clock
from app.engine.models import HumanTask, ProcessInstance
from app.extensions import db
from app.ledger import policy as ledger_policy
from app.ledger.models import FeeNotice

EXTRA_UNITS = [  # serial, name: more 西湖区 units so that each state has its own unit
    (41, "杭州西湖印染有限公司", "纺织印染"),
    (42, "杭州三墩造纸有限公司", "造纸"),
    (43, "杭州留下食品有限公司", "农副食品加工"),
]


def _unit(serial: int, name: str, industry: str) -> Enterprise:
    code = make_credit_code(serial, division="330106")
    found = db.session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    return found or create_enterprise(
        name=name, credit_code=code, region_code="330106", source_type="industrial",
        industry=industry, permit_no=f"{code}001P", permit_class="key", auto_monitoring=True,
        grade="B")


def _uid(username: str) -> int | None:
    return db.session.scalar(select(User.id).where(User.username == username))


def _task(instance_id: int, name: str) -> str:
    return db.session.scalar(select(HumanTask.id).where(
        HumanTask.instance_id == instance_id, HumanTask.name == name, HumanTask.state == "open"))


def _start(ent: Enterprise, amounts: dict, handler: str) -> int:
    return engine.start("allocation", {"enterprise_id": ent.id, "amounts": amounts},
                        actor_id=_uid(handler)).id


def _publish(ent: Enterprise, amounts: dict, handler: str, approver: str) -> int:
    iid = _start(ent, amounts, handler)
    engine.complete(_task(iid, "draft"), {"amounts": amounts, "basis": "排污许可证及总量控制文件",
                                          "opinion": "按许可排放量核定"}, actor_id=_uid(handler))
    engine.complete(_task(iid, "approve"), {"decision": "approve", "opinion": "同意公示"},
                    actor_id=_uid(approver))
    return iid


def _object(iid: int, unit_user: str, reason: str) -> None:
    engine.send_message(iid, "objection", {"reason": reason}, actor_id=_uid(unit_user))


def seed_allocations(enterprises: dict[str, Enterprise]) -> int:
    """Run the demo allocations (needs the allocation diagram deployed); returns how many were
    started."""
    ledger_policy.seed_policies()
    policy.seed_allocation_policy()
    if not _deployed():
        return 0
    dye, paper, food = (_unit(*u) for u in EXTRA_UNITS)
    units = [enterprises["zhijiang_chem"], enterprises["xixi_power"],
             enterprises["qianjiang_power"], dye, paper, food]
    if db.session.scalar(select(ProcessInstance.id).where(
            ProcessInstance.key == "allocation",
            ProcessInstance.enterprise_id.in_([u.id for u in units])).limit(1)):
        return 0
    previous = clock._pinned
    base = clock.now().replace(microsecond=0)

    def at(days: float) -> datetime:
        moment = base - timedelta(days=days)
        clock.set_now(moment)
        return moment

    try:
        at(90)  # fee unpaid: final 70 days ago, its 30-day payment term long gone (R16)
        _publish(food, {"COD": "3.6000", "NH3-N": "0.3600"}, "xihu_handler", "xihu_approver")
        engine.run_due(at(70))
        at(60)  # final and paid: coal power ≥ 300 MW, by the province bureau (R11)
        province = _publish(enterprises["qianjiang_power"], {"SO2": "180.0000", "NOx": "260.0000"},
                            "zhejiang_handler", "zhejiang_approver")
        at(40)  # overdue review: objection 30 days ago, never decided (R13)
        overdue = _publish(paper, {"COD": "45.0000", "NH3-N": "4.5000"}, "xihu_handler",
                           "xihu_approver")
        at(30)
        _object(overdue, "xihu_handler", "废水排放量按设计产能核定，实际产能已扩大，请求复核")
        at(5)  # objected: review under way
        objected = _publish(dye, {"COD": "28.0000", "NH3-N": "2.8000"}, "xihu_handler",
                            "xihu_approver")
        at(1)
        _object(objected, "xihu_handler", "印染废水回用率已提高，COD 核定量计算有误")
        at(2)  # published: coal power below 300 MW, by the city bureau (R11)
        _publish(enterprises["xixi_power"], {"SO2": "95.0000", "NOx": "120.0000"},
                 "hangzhou_handler", "hangzhou_approver")
        at(0)  # drafting
        _start(enterprises["zhijiang_chem"], {"COD": "6.2000", "NH3-N": "0.6200"},
               "xihu_handler")
        engine.run_due(base)  # finalises the province's allocation, escalates the review
        notice = db.session.scalar(select(FeeNotice.id).where(
            FeeNotice.instance_id == province))
        if notice is not None:
            approver = db.session.get(User, _uid("zhejiang_approver"))
            services.confirm_payment(user=approver, notice_id=notice, reference="电子税票 3300001")
    finally:
        clock.set_now(previous)
    db.session.flush()
    return 6


def _deployed() -> bool:
    from app.engine.models import ProcessVersion

    return db.session.scalar(
        select(ProcessVersion.id).where(ProcessVersion.key == "allocation").limit(1)) is not None

