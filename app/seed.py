"""Demo data for `flask erflow seed-demo`: regions and bureaus (R7), demo enterprises (R8) and the
demo logins. Idempotent: running it twice changes nothing. Other domains add their demo data as
further small steps in `seed_demo()` (holdings, instances in every state, …).

Demo passwords are deliberately simple and documented (README, and printed by the command):
admin / admin123; every other demo account / demo1234.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import click
from sqlalchemy import select

from app.auth.credit_code import make_credit_code
from app.auth.enterprises import create_enterprise
from app.auth.models import Enterprise
from app.auth.services import create_user, find_user
from app.common.regions import seed_regions
from app.extensions import db

ADMIN_PASSWORD = "admin123"
DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    description: str


# key, name, county, attributes (R8); the credit codes are generated, valid but fictitious.
DEMO_ENTERPRISES: list[tuple[str, str, str, dict]] = [
    (
        "qianjiang_power",
        "浙江钱江热电有限公司",
        "330109",
        {
            "industry": "火电",
            "permit_class": "key",
            "auto_monitoring": True,
            "grade": "A",
            "capacity_mw": Decimal("350.0"),
        },  # R11: ≥ 300 MW, allocated by the province
    ),
    (
        "xixi_power",
        "杭州西溪热电有限公司",
        "330106",
        {
            "industry": "火电",
            "permit_class": "key",
            "auto_monitoring": True,
            "grade": "B",
            "capacity_mw": Decimal("299.9"),
        },  # R11: just below the threshold
    ),
    (
        "zhijiang_chem",
        "杭州之江精细化工有限公司",
        "330106",
        {"industry": "化工", "permit_class": "simplified", "auto_monitoring": True, "grade": "C"},
    ),
    (
        "zhuantang_farm",
        "杭州转塘生态养殖专业合作社",
        "330106",
        {
            "source_type": "agricultural",
            "industry": "畜禽养殖",
            "permit_class": "registered",
            "auto_monitoring": False,
            "grade": "D",
        },
    ),
    (
        "longwu_tea",
        "杭州龙坞茶叶加工厂",
        "330106",
        {
            "industry": "农副食品加工",
            "permit_class": "none",
            "auto_monitoring": False,
            "grade": "C",
        },  # R10: no permit
    ),
    (
        "changan_steel",
        "石家庄长安钢铁有限公司",
        "130102",
        {"industry": "钢铁", "permit_class": "key", "auto_monitoring": True, "grade": "A"},
    ),
]

# username, display name, roles, region
DEMO_BUREAU_USERS: list[tuple[str, str, list[str], str]] = [
    ("xihu_handler", "西湖分局经办人", ["handler"], "330106"),
    ("xihu_reviewer", "西湖分局审核人", ["reviewer"], "330106"),
    ("xihu_approver", "西湖分局审批人", ["approver"], "330106"),
    ("hangzhou_handler", "杭州市局经办人", ["handler"], "330100"),
    ("hangzhou_reviewer", "杭州市局审核人", ["reviewer"], "330100"),
    ("hangzhou_approver", "杭州市局审批人", ["approver"], "330100"),
    ("zhejiang_handler", "省厅经办人", ["handler"], "330000"),
    ("zhejiang_reviewer", "省厅审核人", ["reviewer"], "330000"),
    ("zhejiang_approver", "省厅审批人", ["approver"], "330000"),
    ("changan_reviewer", "长安分局审核人", ["reviewer"], "130102"),
    ("sjz_reviewer", "石家庄市局审核人", ["reviewer"], "130100"),
    ("hebei_reviewer", "河北省厅审核人", ["reviewer"], "130000"),
]


def seed_demo_enterprises() -> dict[str, Enterprise]:
    """The demo emission units, keyed by their short key; existing ones are reused."""
    out: dict[str, Enterprise] = {}
    for serial, (key, name, county, attrs) in enumerate(DEMO_ENTERPRISES, start=1):
        code = make_credit_code(serial, division=county)
        existing = db.session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
        if existing is None:
            data = {"source_type": "industrial", **attrs}
            if data["permit_class"] != "none":
                data["permit_no"] = f"{code}001{'P' if data['permit_class'] == 'key' else 'U'}"
            existing = create_enterprise(name=name, credit_code=code, region_code=county, **data)
        out[key] = existing
    return out


def _ensure_user(logins: list[Login], description: str, **data) -> None:
    if find_user(data["username"]) is None:
        create_user(**data)
    logins.append(Login(data["username"], data["password"], description))


def seed_demo_users(enterprises: dict[str, Enterprise]) -> list[Login]:
    """The administrator, bureau staff of 西湖区/杭州市/浙江省 and 长安区/石家庄市/河北省, and one
    user per demo enterprise."""
    logins: list[Login] = []
    _ensure_user(
        logins,
        "系统管理员",
        username="admin",
        password=ADMIN_PASSWORD,
        roles=["admin"],
        display_name="系统管理员",
    )
    for username, name, roles, region in DEMO_BUREAU_USERS:
        _ensure_user(
            logins,
            f"{name}（{region}）",
            username=username,
            password=DEMO_PASSWORD,
            roles=roles,
            region_code=region,
            display_name=name,
        )
    for key, enterprise in enterprises.items():
        _ensure_user(
            logins,
            f"{enterprise.name}（企业用户）",
            username=key,
            password=DEMO_PASSWORD,
            roles=["enterprise"],
            enterprise_id=enterprise.id,
            display_name=enterprise.name,
        )
    return logins


def seed_demo() -> list[Login]:
    """All demo data, step by step (flushes; the caller commits). Returns the demo logins."""
    seed_regions()
    enterprises = seed_demo_enterprises()
    logins = seed_demo_users(enterprises)
    from app.allocation.demo import seed_allocations

    seed_allocations(enterprises)  # allocations in every state (needs bpmn/ deployed)
    from app.trading.demo import seed_trades

    seed_trades(enterprises)  # trades awaiting certification and subject review (R19, R20)
    return logins


def register(group: click.Group) -> None:
    @group.command("seed-demo")
    def seed_demo_command() -> None:
        """Load demo regions, bureaus, enterprises and users (idempotent); print the logins."""
        logins = seed_demo()
        db.session.commit()
        click.echo("Demo logins (username / password):")
        for login in logins:
            click.echo(f"  {login.username:<20} {login.password:<10} {login.description}")
