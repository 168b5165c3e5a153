"""Emission units, 排污单位 (R8): registration, changes and jurisdiction-scoped listing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, or_, select

from app.auth.access import subtree_codes
from app.auth.credit_code import credit_code_errors
from app.auth.models import BUREAU_ROLES, Enterprise, Region, User
from app.common import clock
from app.common.regions import WATER_SYSTEMS
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db

SOURCE_TYPES = ("industrial", "agricultural")  # R23
PERMIT_CLASSES = ("key", "simplified", "registered", "none")  # R10
GRADES = ("A", "B", "C", "D")  # R30
CAPACITY_STEP = Decimal("0.1")  # MW, the column's scale

FIELDS = (
    "name",
    "credit_code",
    "region_code",
    "source_type",
    "industry",
    "permit_no",
    "permit_class",
    "auto_monitoring",
    "grade",
    "capacity_mw",
    "water_system",
)


def _capacity(value, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = str(value)  # JSON numbers arrive as floats; R1 forbids computing with them
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        errors["capacity_mw"] = [_l("装机容量应为数字（兆瓦）")]
        return None
    if not d.is_finite() or d < 0:
        errors["capacity_mw"] = [_l("装机容量不能为负数")]
    elif d.quantize(CAPACITY_STEP) != d:
        errors["capacity_mw"] = [_l("装机容量最多保留 1 位小数（兆瓦）")]
    elif d >= Decimal("1000000000"):
        errors["capacity_mw"] = [_l("装机容量超出范围")]
    else:
        return d.quantize(CAPACITY_STEP)
    return None


def _validated(data: dict, *, current: Enterprise | None = None) -> dict:
    """Check every R8 attribute; returns cleaned values or raises ValidationFailed(fields)."""
    errors: dict[str, list[str]] = {}
    out: dict = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = [_l("请填写单位名称")]
    elif len(name) > 200:
        errors["name"] = [_l("单位名称最多 200 个字符")]
    out["name"] = name

    code = (data.get("credit_code") or "").strip().upper()
    if msgs := credit_code_errors(code):
        errors["credit_code"] = msgs
    out["credit_code"] = code

    region_code = (data.get("region_code") or "").strip()
    region = db.session.get(Region, region_code) if region_code else None
    if not region_code:
        errors["region_code"] = [_l("请选择所在县（市、区）")]
    elif region is None:
        errors["region_code"] = [_l("未知的行政区划代码：%(code)s", code=region_code)]
    elif region.level != "county":
        errors["region_code"] = [_l("排污单位应登记到县级行政区（县、县级市、区）")]
    out["region_code"] = region_code

    for field, allowed, label in (
        ("source_type", SOURCE_TYPES, _l("污染源类型")),
        ("permit_class", PERMIT_CLASSES, _l("排污许可管理类别")),
        ("grade", GRADES, _l("环保绩效等级")),
    ):
        value = data.get(field)
        if value not in allowed:
            errors[field] = [_l("%(label)s应为以下之一：%(choices)s", label=label,
                                  choices=_(", ").join(allowed))]
        out[field] = value

    out["industry"] = (data.get("industry") or "").strip()[:50]
    permit_no = (data.get("permit_no") or "").strip() or None
    if out["permit_class"] in ("key", "simplified") and not permit_no:
        errors["permit_no"] = [_l("重点管理、简化管理的单位须填写排污许可证编号")]
    elif out["permit_class"] == "none" and permit_no:
        errors["permit_no"] = [_l("未纳入排污许可管理的单位不应填写许可证编号")]
    elif permit_no and len(permit_no) > 50:
        errors["permit_no"] = [_l("许可证编号最多 50 个字符")]
    out["permit_no"] = permit_no
    out["auto_monitoring"] = bool(data.get("auto_monitoring"))
    out["capacity_mw"] = _capacity(data.get("capacity_mw"), errors)

    water = (data.get("water_system") or "").strip() or None
    if water and water not in WATER_SYSTEMS:
        errors["water_system"] = [_l("水系应为以下之一：%(choices)s",
                                     choices=_(", ").join(WATER_SYSTEMS))]
    if water is None and region is not None:
        water = region.water_system  # R28: the county's default, editable per unit
    out["water_system"] = water

    if errors:
        raise ValidationFailed(_l("排污单位信息有误"), fields=errors)
    clash = db.session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    if clash is not None and clash is not current:
        raise Conflict(
            _l("该统一社会信用代码已登记"),
            fields={"credit_code": [_l("已登记为“%(name)s”", name=clash.name)]},
        )
    return out


def create_enterprise(**data) -> Enterprise:
    """Register an emission unit with its R8 attributes (credit code per GB 32100)."""
    values = _validated({**{"grade": "C"}, **data})
    enterprise = Enterprise(**values, created_at=clock.now())
    db.session.add(enterprise)
    db.session.flush()
    return enterprise


def update_enterprise(*, enterprise: Enterprise, **changes) -> Enterprise:
    """Change an emission unit; unspecified attributes keep their values (R8 re-validated)."""
    current = {f: getattr(enterprise, f) for f in FIELDS}
    values = _validated({**current, **changes}, current=enterprise)
    for field, value in values.items():
        setattr(enterprise, field, value)
    db.session.flush()
    return enterprise


def get_enterprise(enterprise_id: int) -> Enterprise:
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(_l("排污单位不存在"))
    return enterprise


def visible_enterprises_query(user: User):
    """Visible to `user`: admin all, bureau users their subtree, enterprise users its own."""
    query = select(Enterprise)
    if user.has_role("admin") and user.region_code is None:
        return query
    conditions = []
    if user.region_code and user.has_role("admin", *BUREAU_ROLES):
        conditions.append(Enterprise.region_code.in_(subtree_codes(user.region_code)))
    if user.enterprise_id is not None:
        conditions.append(Enterprise.id == user.enterprise_id)
    if not conditions:
        return query.where(false())
    return query.where(or_(*conditions))


def can_view_enterprise(user: User, enterprise: Enterprise) -> bool:
    query = visible_enterprises_query(user).where(Enterprise.id == enterprise.id)
    return db.session.scalar(query) is not None


def get_visible_enterprise(*, user: User, enterprise_id: int) -> Enterprise:
    enterprise = get_enterprise(enterprise_id)
    if not can_view_enterprise(user, enterprise):
        raise Forbidden(_l("该排污单位不在您的管辖范围内"))
    return enterprise


def list_enterprises(
    *, user: User, q: str = "", region_code: str | None = None, page: int = 1, per_page: int = 50
) -> tuple[list[Enterprise], int]:
    """A page of the enterprises `user` may see, filtered by name/code and region subtree."""
    query = visible_enterprises_query(user)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(Enterprise.name.ilike(like), Enterprise.credit_code.ilike(like)))
    if region_code:
        query = query.where(Enterprise.region_code.in_(subtree_codes(region_code)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(Enterprise.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total
