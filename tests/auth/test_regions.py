"""R7 region tree and bureaus, R28 default water systems, R9 common superior."""
import pytest
from sqlalchemy import func, select

from app.auth.models import Bureau, Region
from app.common.regions import (
    WATER_SYSTEMS,
    bureau_of,
    common_superior,
    full_name,
    region_count,
    seed_regions,
)
from app.errors import NotFound, RuleViolation
from app.extensions import db


@pytest.fixture
def regions(make_region_tree):
    make_region_tree()


def test_R7_counts_pinned(regions):
    assert region_count("province") == 2
    assert region_count("city", "330000") == 11
    assert region_count("county", "330000") == 90
    assert region_count("city", "130000") == 11
    # 167 GB/T 2260 counties plus the three extra nodes (定州、辛集、雄安新区)
    assert region_count("county", "130000") == 167 + 3
    shijiazhuang = db.session.scalar(
        select(func.count()).where(Region.parent_code == "130100", Region.level == "county")
    )
    assert shijiazhuang == 22
    assert region_count() == 2 + 22 + 90 + 167 + 3


def test_R7_six_digit_codes_and_paths(regions):
    xihu = db.session.get(Region, "330106")
    assert (xihu.name, xihu.level, xihu.parent_code, xihu.province_code) == (
        "西湖区",
        "county",
        "330100",
        "330000",
    )
    assert xihu.path == "330000/330100/330106"
    assert db.session.get(Region, "330100").level == "city"
    assert db.session.get(Region, "330000").path == "330000"
    assert all(len(c) == 6 for c in db.session.scalars(select(Region.code)))
    assert full_name("330106") == "浙江省杭州市西湖区"


def test_R7_extra_nodes_directly_under_hebei(regions):
    for code, name in (("139001", "定州市"), ("139002", "辛集市"), ("133100", "雄安新区")):
        node = db.session.get(Region, code)
        assert node.name == name and node.extra
        assert node.parent_code == "130000" and node.level == "county"
    assert not db.session.get(Region, "330106").extra


def test_R7_one_bureau_per_region_with_natural_names(regions):
    assert db.session.scalar(select(func.count()).select_from(Bureau)) == region_count()
    assert bureau_of("330000").name == "浙江省生态环境厅"
    assert bureau_of("130000").name == "河北省生态环境厅"
    assert bureau_of("330100").name == "杭州市生态环境局"
    assert bureau_of("330106").name == "杭州市生态环境局西湖分局"
    assert bureau_of("130102").name == "石家庄市生态环境局长安分局"
    assert bureau_of("130427").name == "邯郸市生态环境局磁县分局"  # one-character stem keeps 县
    assert bureau_of("139001").name == "定州市生态环境局"
    assert bureau_of("133100").name == "雄安新区生态环境局"


def test_R7_seeding_is_idempotent(regions):
    again = seed_regions()
    assert (again.regions, again.bureaus) == (0, 0)
    assert region_count() == 284


def test_R28_default_water_systems(regions):
    def water(code):
        return db.session.get(Region, code).water_system

    assert water("330302") == "瓯江"  # 鹿城区
    assert water("330381") == "飞云江"  # 瑞安市
    assert water("330327") == "鳌江"  # 苍南县
    assert water("331002") == "椒江"  # 椒江区
    assert water("330203") == "甬江"  # 海曙区
    assert water("330502") == "苕溪"  # 吴兴区
    assert water("330402") == "运河"  # 南湖区
    assert water("330106") == "钱塘江（含曹娥江）"
    assert water("330902") is None  # 舟山定海区
    assert water("130102") is None  # Hebei: no basin rule
    counties = db.session.scalars(
        select(Region.water_system).where(
            Region.province_code == "330000", Region.level == "county"
        )
    )
    assert {w for w in counties if w} == set(WATER_SYSTEMS)


def test_R9_same_county_needs_no_cross_region_approval(regions):
    assert common_superior("330106", "330106") is None


def test_R9_same_city_is_the_city(regions):
    assert common_superior("330106", "330102") == "330100"
    assert common_superior("130102", "130104") == "130100"


def test_R9_different_cities_is_the_province(regions):
    assert common_superior("330106", "330302") == "330000"
    assert common_superior("130102", "130202") == "130000"


def test_R9_a_county_and_its_own_city(regions):
    assert common_superior("330106", "330100") == "330100"


def test_R9_extra_nodes_meet_at_the_province(regions):
    assert common_superior("139001", "130102") == "130000"
    assert common_superior("139001", "139002") == "130000"
    assert common_superior("133100", "133100") is None


def test_R9_different_provinces_are_refused(regions):
    with pytest.raises(RuleViolation) as exc:
        common_superior("330106", "130102")
    assert exc.value.rule == "R9"


def test_R9_unknown_region(regions):
    with pytest.raises(NotFound):
        common_superior("330106", "999999")
