"""Jurisdiction helpers (R7): subtree codes, in_jurisdiction, visible enterprises, decorators."""
from app.auth.access import in_jurisdiction, subtree_codes
from app.auth.enterprises import can_view_enterprise, list_enterprises


def test_R7_subtree_codes(make_region_tree):
    make_region_tree()
    hangzhou = subtree_codes("330100")
    assert "330100" in hangzhou and "330106" in hangzhou and len(hangzhou) == 14
    assert "330302" not in hangzhou
    assert subtree_codes("330106") == ["330106"]
    assert len(subtree_codes("130000")) == 1 + 11 + 167 + 3
    assert subtree_codes("999999") == []


def test_R7_bureau_user_sees_its_subtree_only(make_user):
    city = make_user(roles=["reviewer"], region_code="330100")
    county = make_user(roles=["handler"], region_code="330106")
    assert in_jurisdiction(city, "330106") and in_jurisdiction(city, "330100")
    assert not in_jurisdiction(city, "330000") and not in_jurisdiction(city, "330302")
    assert in_jurisdiction(county, "330106") and not in_jurisdiction(county, "330102")
    assert not in_jurisdiction(county, None)


def test_R7_admin_without_region_sees_everything(make_user):
    admin = make_user(roles=["admin"])
    assert in_jurisdiction(admin, "130102") and in_jurisdiction(admin, "330106")


def test_R7_enterprise_user_has_no_jurisdiction(make_user, make_enterprise):
    user = make_user(roles=["enterprise"], region_code="330106", enterprise=make_enterprise())
    assert user.region_code == "330106"
    assert not in_jurisdiction(user, "330106")


def test_R7_enterprise_visibility(make_user, make_enterprise):
    xihu = make_enterprise(region_code="330106")
    shangcheng = make_enterprise(region_code="330102")
    hebei = make_enterprise(region_code="130102")
    city = make_user(roles=["reviewer"], region_code="330100")
    county = make_user(roles=["handler"], region_code="330106")
    own = make_user(roles=["enterprise"], enterprise=xihu)
    admin = make_user(roles=["admin"])

    def ids(user):
        return {e.id for e in list_enterprises(user=user)[0]}

    assert ids(city) == {xihu.id, shangcheng.id}
    assert ids(county) == {xihu.id}
    assert ids(own) == {xihu.id}
    assert ids(admin) == {xihu.id, shangcheng.id, hebei.id}
    assert not can_view_enterprise(own, shangcheng)
    assert can_view_enterprise(city, xihu) and not can_view_enterprise(city, hebei)
