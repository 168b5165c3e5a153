"""Allocation rules around the `allocation` diagram: start data (R1, R2, R10, R11), the business
summary shown in lists and the API, and why an objection is refused (R12)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.auth.models import Enterprise
from app.common import clock
from app.common.money import fmt_tonnes, to_tonnes
from app.engine.hooks import register_process
from app.engine.types import StartSpec
from app.errors import RuleViolation, ValidationFailed
from app.extensions import db

PROCESS_KEY = "allocation"
POLLUTANTS = ("COD", "NH3-N", "SO2", "NOx")  # R2 defaults; pilot VOCs/TP come per region later
COAL_POWER_PROVINCE_MW = 300  # R11 seeded threshold (moves to the R11 DMN table with issue 3)
ELIGIBLE_PERMITS = ("key", "simplified", "registered")  # R10


def parse_amounts(raw: Any, *, field: str = "amounts") -> dict[str, str]:
    """Tonnes per pollutant as 4-place Decimal strings (R1), known pollutants only (R2)."""
    if not isinstance(raw, dict) or not raw:
        raise ValidationFailed("请填写核定量", fields={field: ["至少填写一种污染物的核定量"]})
    errors: dict[str, list[str]] = {}
    amounts: dict[str, str] = {}
    for pollutant, value in raw.items():
        key = f"{field}.{pollutant}"
        if pollutant not in POLLUTANTS:
            errors[key] = [f"R2：不支持的污染物 {pollutant}"]
            continue
        try:
            tonnes = to_tonnes(value)
        except (TypeError, ValueError):
            errors[key] = ["R1：须为不超过4位小数的吨数（字符串）"]
            continue
        if tonnes <= 0:
            errors[key] = ["核定量须大于 0"]
            continue
        amounts[pollutant] = fmt_tonnes(tonnes)
    if errors:
        raise ValidationFailed("核定量有误", fields=errors)
    return amounts


def allocating_level(enterprise: Enterprise) -> str:
    """R11: coal power ≥ 300 MW is allocated by the province; others by their own bureau."""
    coal = "火电" in (enterprise.industry or "") or "coal" in (enterprise.industry or "").lower()
    capacity = enterprise.capacity_mw
    if coal and capacity is not None and capacity >= COAL_POWER_PROVINCE_MW:
        return "province"
    region = enterprise.region
    return region.level if region is not None and region.level in ("city", "county") else "county"


def prepare_start(data: dict, actor) -> StartSpec:
    """Validate an allocation's start data (R1, R2, R10, R11); the enterprise's region handles
    it."""
    try:
        enterprise_id = int(data.get("enterprise_id"))
    except (TypeError, ValueError):
        raise ValidationFailed(
            "缺少排污单位", fields={"enterprise_id": ["请选择排污单位"]}
        ) from None
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise ValidationFailed("排污单位不存在", fields={"enterprise_id": ["排污单位不存在"]})
    if enterprise.permit_class not in ELIGIBLE_PERMITS:
        raise RuleViolation("R10", f"{enterprise.name} 未持有排污许可证，不予核定初始排污权")
    amounts = parse_amounts(data.get("amounts"))
    level = allocating_level(enterprise)
    region = enterprise.region_code
    if level == "province" and enterprise.region is not None:
        region = enterprise.region.province_code
    shaped = {"enterprise_id": enterprise.id, "amounts": amounts, "allocating_level": level}
    return StartSpec(
        data=shaped,
        handling_region=region,
        enterprise_id=enterprise.id,
        business_key=f"FP-{clock.today():%Y}-{enterprise.id:06d}",
    )


def summarize(data: dict) -> dict:
    """API.md "allocation" summary."""
    objection = data.get("objection")
    if isinstance(objection, dict):
        objection = {k: objection.get(k) for k in ("received_at", "due_at", "decision")}
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


def refuse_message(name: str, summary: dict) -> tuple[str | None, str] | None:
    """R12: say why an objection is not taken (window closed — with its closing time — or filed)."""
    if name != "objection":
        return None
    closes = summary.get("window_closes_at")
    if not closes:
        return "R12", "核定结果尚未公示，暂不受理复核申请"
    closes_at = datetime.fromisoformat(closes)
    if clock.now() >= closes_at:
        shown = clock.local(closes_at)
        # 00:00 of the next day is shown as 24:00 of the last day of the window (R6)
        if (shown.hour, shown.minute) == (0, 0):
            text = f"{shown - timedelta(days=1):%Y-%m-%d} 24:00"
        else:
            text = f"{shown:%Y-%m-%d %H:%M}"
        return "R12", f"公示期已于 {text} 结束，不再受理复核申请"
    if summary.get("objection"):
        return "R12", "公示期内只能申请一次复核，已受理的复核申请正在处理"
    return "R12", "当前不受理复核申请"


register_process(
    PROCESS_KEY, prepare_start=prepare_start, summarize=summarize, refuse_message=refuse_message
)
