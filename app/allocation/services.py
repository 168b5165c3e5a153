"""Allocation rules around the `allocation` diagram (R10–R16): who is allocated and by which
bureau, the amounts, the objection and its decision, finalising into the ledger with the fee
notice, the business summary, why an objection is refused, and the overdue-fee check."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import engine
from app.allocation import attachments, policy
from app.auth.access import in_jurisdiction
from app.auth.models import BUREAU_ROLES, Enterprise, Region, User
from app.common import clock
from app.engine.hooks import register_process, register_script_function
from app.engine.models import AuditEvent, ProcessInstance
from app.engine.types import StartSpec
from app.errors import Forbidden, NotFound, RuleViolation, Text, ValidationFailed
from app.extensions import db
from app.ledger import fees
from app.ledger import policy as ledger_policy
from app.ledger import services as ledger
from app.ledger.models import FeeNotice

PROCESS_KEY = "allocation"
ELIGIBLE_PERMITS = ("key", "simplified")  # R10: permit holders; "registered" only with rights
LEVEL_DECISION = "allocation_level"  # R11 table, bpmn/allocation_level.dmn
# Words that mark a coal-fired power unit (R8 gives capacity only for coal power, R11).
COAL_POWER_WORDS = ("火电", "燃煤", "煤电", "热电", "发电", "coal")
# R16: processes an unpaid notice past its deadline blocks (交易、租赁、许可证变更).
FEE_GATED_PROCESSES = ("trade", "lease", "permit_change")


# -- who is allocated and by whom (R10, R11) -----------------------------------------------------

def parse_amounts(raw: Any, *, region_code: str | None = None,
                  field: str = "amounts") -> dict[str, str]:
    """Allocated tonnes per pollutant (R1, R2)."""
    return ledger_policy.parse_amounts(raw, region_code=region_code, field=field, noun=_l("核定量"))


def is_coal_power(enterprise: Enterprise) -> bool:
    industry = (enterprise.industry or "").lower()
    return enterprise.capacity_mw is not None and any(w in industry for w in COAL_POWER_WORDS)


def allocating_level(enterprise: Enterprise) -> str:
    """R11 through the DMN table: province | city | county (a county-level answer for a unit
    registered directly in a city means that city's bureau)."""
    result = engine.decide(LEVEL_DECISION, {
        "coal_power": is_coal_power(enterprise),
        "capacity_mw": Decimal(enterprise.capacity_mw or 0),
    })
    level = result.get("allocating_level") or "county"
    region = enterprise.region
    if level == "county" and region is not None and region.level in ("city", "province"):
        return region.level
    return level


def allocating_region(enterprise: Enterprise, level: str) -> str:
    """The region whose bureau allocates at `level` (R7 tree, R11)."""
    region = enterprise.region
    if region is None:
        return enterprise.region_code
    if level == "province":
        return region.province_code
    if level == "city":
        for code in reversed(region.path.split("/")):
            node = db.session.get(Region, code)
            if node is not None and node.level == "city":
                return node.code
        return region.code  # e.g. 定州/辛集 directly under the province
    return region.code


def check_eligible(enterprise: Enterprise) -> None:
    """R10 (ZJ §3(1)): a permit (重点/简化管理), or a registration (登记管理) with rights already
    held in the ledger; anyone else is refused with the reason."""
    if enterprise.permit_class in ELIGIBLE_PERMITS and enterprise.permit_no:
        return
    if enterprise.permit_class == "registered":
        if any(t > 0 for t in ledger.balances(enterprise.id).values()):
            return
        raise RuleViolation("R10", _l(
            "%(name)s 为排污登记管理单位且未持有排污权，不予核定初始排污权", name=enterprise.name))
    raise RuleViolation("R10", _l(
        "%(name)s 未取得排污许可证或未完成排污登记，不予核定初始排污权", name=enterprise.name))


def prepare_start(data: dict, actor) -> StartSpec:
    """Validate an allocation's start data (R1, R2, R10) and route it to the allocating bureau
    (R11)."""
    try:
        enterprise_id = int(data.get("enterprise_id"))
    except (TypeError, ValueError):
        raise ValidationFailed(
            _l("缺少排污单位"), fields={"enterprise_id": [_l("请选择排污单位")]}
        ) from None
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise ValidationFailed(_l("排污单位不存在"),
                               fields={"enterprise_id": [_l("排污单位不存在")]})
    check_eligible(enterprise)
    amounts = parse_amounts(data.get("amounts"), region_code=enterprise.region_code)
    level = allocating_level(enterprise)
    region = allocating_region(enterprise, level)
    shaped = {
        "enterprise_id": enterprise.id,
        "amounts": amounts,
        "allocating_level": level,
        "allocating_region": region,
        "objection": None,
        "fee_notice": None,
        "final_amounts": None,
    }
    return StartSpec(
        data=shaped,
        handling_region=region,
        enterprise_id=enterprise.id,
        business_key=f"FP-{clock.today():%Y}-{enterprise.id:06d}",
    )


# -- functions the diagram's scripts call --------------------------------------------------------

def checked_amounts(enterprise_id: int, amounts: Any, field: str = "amounts") -> dict[str, str]:
    """Script function: drafted or revised amounts, checked as at the start (R1, R2)."""
    enterprise = db.session.get(Enterprise, int(enterprise_id))
    return parse_amounts(amounts, region_code=enterprise.region_code if enterprise else None,
                         field=field)


def receive_objection(message: Any, received_at: str, due_at: str) -> dict:
    """Script function (R12, R13): the unit's objection with its reasons and attachments."""
    message = message if isinstance(message, dict) else {}
    reason = str(message.get("reason") or "").strip()
    if not reason:
        raise ValidationFailed(_l("请写明申请复核的理由"),
                               fields={"reason": [_l("请写明申请复核的理由")]})
    if len(reason) > 2000:
        raise ValidationFailed(_l("复核理由过长"), fields={"reason": [_l("不得超过 2000 字")]})
    ids = message.get("attachments") or []
    if not isinstance(ids, list):
        raise ValidationFailed(_l("附件应为编号列表"),
                               fields={"attachments": [_l("应为附件编号列表")]})
    files = attachments.of_instance(instance_id=engine.current_instance_id(), ids=ids)
    return {
        "reason": reason,
        "attachments": [attachments.describe(f) for f in files],
        "received_at": received_at,
        "due_at": due_at,
        "decision": None,
    }


def decide_objection(objection: dict, decision: str, opinion: str,
                     amounts: dict[str, str]) -> dict:
    """Script function (R13): record the review decision and inform the unit of it (an entry in
    the instance's history addressed to the unit, shown on its page and in the API)."""
    decided = dict(objection or {}, decision=decision, opinion=opinion,
                   decided_at=clock.local(clock.now()).isoformat(),
                   amounts=dict(amounts) if decision == "revise" else None)
    instance_id = engine.current_instance_id()
    inst = db.session.get(ProcessInstance, instance_id) if instance_id else None
    db.session.add(AuditEvent(
        at=clock.now(), instance_id=instance_id, action="enterprise_notified",
        detail={"to": f"enterprise:{inst.enterprise_id if inst else ''}",
                "subject": "复核决定", "decision": decision, "opinion": opinion,
                "amounts": decided["amounts"]},
    ))
    return decided


def finalise_allocation(enterprise_id: int, amounts: dict[str, str], finalised_at: str) -> dict:
    """Script function (R14, R15, R37): the final amounts become lots valid to the end of the
    five-year period, caused by this instance; then the payment notice is issued."""
    instance_id = engine.current_instance_id()
    inst = db.session.get(ProcessInstance, instance_id) if instance_id else None
    moment = datetime.fromisoformat(finalised_at)
    day = clock.local(moment).date()
    period = policy.period_for(day)
    valid_from, valid_to = max(day, period.starts_on), period.ends_on
    for pollutant, tonnes in amounts.items():
        ledger.create_lot(
            owner=ledger.Owner("enterprise", enterprise_id=int(enterprise_id)),
            pollutant=pollutant, tonnes=tonnes, valid_from=valid_from, valid_to=valid_to,
            acquisition="paid", cause="allocation", instance_id=instance_id,
        )
    enterprise = db.session.get(Enterprise, int(enterprise_id))
    notice = fees.issue_notice(
        enterprise_id=int(enterprise_id),
        region_code=(inst.handling_region if inst else None) or enterprise.region_code,
        amounts=amounts, valid_from=valid_from, valid_to=valid_to, finalised_at=moment,
        payment_days=int(policy.value("payment_days")),
        notice_working_days=int(policy.value("notice_working_days")),
        instance_id=instance_id,
    )
    return {
        "valid_from": valid_from.isoformat(),
        "valid_to": valid_to.isoformat(),
        "fee_notice": fees.notice_summary(notice),
    }


for _name, _fn in (("checked_amounts", checked_amounts),
                   ("receive_objection", receive_objection),
                   ("decide_objection", decide_objection),
                   ("finalise_allocation", finalise_allocation)):
    register_script_function(_name, _fn)


# -- summary and refusals -----------------------------------------------------------------------

def summarize(data: dict) -> dict:
    """API.md "allocation" summary."""
    objection = data.get("objection")
    if isinstance(objection, dict):
        objection = {k: objection.get(k) for k in (
            "received_at", "due_at", "decision", "reason", "opinion", "decided_at", "amounts",
            "attachments")}
    return {
        "enterprise_id": data.get("enterprise_id"),
        "amounts": data.get("amounts") or {},
        "allocating_level": data.get("allocating_level"),
        "published_at": data.get("published_at"),
        "window_closes_at": data.get("window_closes_at"),
        "objection": objection or None,
        "final_amounts": data.get("final_amounts"),
        "fee_notice": data.get("fee_notice"),
    }


def refuse_message(name: str, summary: dict) -> tuple[str | None, Text] | None:
    """R12: say why an objection is not taken (window closed — with its closing time — or filed)."""
    if name != "objection":
        return None
    closes = summary.get("window_closes_at")
    if not closes:
        return "R12", _l("核定结果尚未公示，暂不受理复核申请")
    closes_at = datetime.fromisoformat(closes)
    if clock.now() >= closes_at:
        shown = clock.local(closes_at)
        # 00:00 of the next day is shown as 24:00 of the last day of the window (R6)
        if (shown.hour, shown.minute) == (0, 0):
            text = f"{shown - timedelta(days=1):%Y-%m-%d} 24:00"
        else:
            text = f"{shown:%Y-%m-%d %H:%M}"
        return "R12", _l("公示期已于 %(closes)s 结束，不再受理复核申请", closes=text)
    if summary.get("objection"):
        return "R12", _l("公示期内只能申请一次复核，已受理的复核申请正在处理")
    return "R12", _l("当前不受理复核申请")


register_process(
    PROCESS_KEY, prepare_start=prepare_start, summarize=summarize, refuse_message=refuse_message
)


# -- fee notices (R15, R16) ----------------------------------------------------------------------

def assert_no_overdue_fee(enterprise_id: int) -> None:
    """R16: refuse starting a trade, lease or permit change while the unit has an unpaid notice
    past its deadline (422 naming the notice). Call it from those processes' start paths."""
    fees.assert_no_overdue_fee(enterprise_id=int(enterprise_id))


def guard_start(*, key: str, enterprise_id: Any) -> None:
    """R16 for the generic start path: gated processes only, for the unit concerned."""
    if key not in FEE_GATED_PROCESSES:
        return
    try:
        unit = int(enterprise_id)
    except (TypeError, ValueError):
        return  # no unit named: the process's own start check refuses the data
    assert_no_overdue_fee(unit)


def _may_view_notice(user: User, notice: FeeNotice) -> bool:
    if user.has_role("admin") and user.region_code is None:
        return True
    if user.has_role("enterprise") and user.enterprise_id == notice.enterprise_id:
        return True
    if not user.has_role(*BUREAU_ROLES, "admin"):
        return False
    enterprise = db.session.get(Enterprise, notice.enterprise_id)
    return in_jurisdiction(user, notice.region_code) or (
        enterprise is not None and in_jurisdiction(user, enterprise.region_code))


def get_notice(*, user: User, notice_id: int) -> FeeNotice:
    """A notice the user may see: the unit's own users, bureaus over it, administrators."""
    notice = db.session.get(FeeNotice, notice_id)
    if notice is None or not _may_view_notice(user, notice):
        raise NotFound(_l("缴款核定通知单不存在或不在您的管辖范围内"))
    return notice


def notices_query(*, user: User, enterprise_id: int | None = None, status: str | None = None):
    """Notices the user may see, optionally of one unit, newest first."""
    if user.has_role("admin") and user.region_code is None:
        ids = [enterprise_id] if enterprise_id is not None else None
        return fees.list_notices(enterprise_ids=ids, status=status)
    if user.has_role("enterprise") and not user.has_role(*BUREAU_ROLES, "admin"):
        if enterprise_id is not None and enterprise_id != user.enterprise_id:
            raise Forbidden(_l("只能查看本单位的缴款核定通知单"))
        return fees.list_notices(enterprise_ids=[user.enterprise_id or -1], status=status)
    from app.auth.access import subtree_codes

    regions = subtree_codes(user.region_code) if user.region_code else []
    in_reach = select(Enterprise.id).where(Enterprise.region_code.in_(regions))
    query = fees.list_notices(status=status).where(
        FeeNotice.region_code.in_(regions) | FeeNotice.enterprise_id.in_(in_reach))
    if enterprise_id is not None:
        query = query.where(FeeNotice.enterprise_id == enterprise_id)
    return query


def confirm_payment(*, user: User, notice_id: int, paid_at: datetime | None = None,
                    reference: str | None = None) -> FeeNotice:
    """R15: the issuing bureau (or an administrator) confirms the unit's payment; the allocation's
    summary shows it. Paying clears the R16 block."""
    notice = get_notice(user=user, notice_id=notice_id)
    bureau = user.has_role("handler", "approver") and in_jurisdiction(user, notice.region_code)
    if not (bureau or (user.has_role("admin") and user.region_code is None)):
        raise Forbidden(_l("只有开具通知单的生态环境部门可以确认缴款"))
    if paid_at is not None and paid_at > clock.now():
        raise ValidationFailed(_l("缴款时间不能晚于当前时间"),
                               fields={"paid_at": [_l("不能晚于当前时间")]})
    notice = fees.confirm_payment(notice_id=notice.id, actor_id=user.id, paid_at=paid_at,
                                  reference=reference)
    if notice.instance_id is not None:
        engine.annotate_summary(notice.instance_id, {"fee_notice": fees.notice_summary(notice)},
                                actor_id=user.id, action="fee_paid")
    return notice
