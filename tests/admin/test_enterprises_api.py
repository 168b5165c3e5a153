"""Administration API: enterprises (R8), and the jurisdiction-scoped enterprise reads (R7)."""
import pytest

from app.auth.models import Enterprise
from app.extensions import db

HUAWEI = "914403001922038216"


@pytest.fixture
def admin_headers(make_user, api_token):
    return api_token(make_user(roles=["admin"]))


def _body(**kw):
    return {
        "name": "杭州测试电厂有限公司",
        "credit_code": HUAWEI,
        "region_code": "330106",
        "source_type": "industrial",
        "industry": "火电",
        "permit_no": "914403001922038216001P",
        "permit_class": "key",
        "auto_monitoring": True,
        "grade": "A",
        "capacity_mw": "350",
        **kw,
    }


def test_R8_create_enterprise_201(client, admin_headers):
    resp = client.post("/api/v1/admin/enterprises", json=_body(), headers=admin_headers)
    assert resp.status_code == 201
    ent = db.session.get(Enterprise, resp.get_json()["id"])
    assert ent.credit_code == HUAWEI and str(ent.capacity_mw) == "350.0"
    assert ent.water_system == "钱塘江（含曹娥江）"  # R28 default from the county
    detail = client.get(f"/api/v1/enterprises/{ent.id}", headers=admin_headers).get_json()
    assert detail["capacity_mw"] == "350.0" and detail["grade"] == "A"
    assert detail["region_code"] == "330106"


def test_R8_capacity_as_json_number_stays_exact(client, admin_headers):
    resp = client.post(
        "/api/v1/admin/enterprises", json=_body(capacity_mw=299.9), headers=admin_headers
    )
    ent = db.session.get(Enterprise, resp.get_json()["id"])
    assert str(ent.capacity_mw) == "299.9"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"credit_code": "914403001922038217"}, "credit_code"),
        ({"credit_code": "91440300192203821"}, "credit_code"),
        ({"region_code": "330100"}, "region_code"),  # a city, not a county
        ({"region_code": "999999"}, "region_code"),
        ({"source_type": "mining"}, "source_type"),
        ({"permit_class": "strict"}, "permit_class"),
        ({"grade": "E"}, "grade"),
        ({"capacity_mw": "-1"}, "capacity_mw"),
        ({"capacity_mw": "abc"}, "capacity_mw"),
        ({"water_system": "长江"}, "water_system"),
        ({"permit_no": None}, "permit_no"),  # key management needs a permit number
        ({"name": ""}, "name"),
    ],
)
def test_R8_invalid_enterprise_is_422_on_the_field(client, admin_headers, overrides, field):
    resp = client.post("/api/v1/admin/enterprises", json=_body(**overrides), headers=admin_headers)
    assert resp.status_code == 422
    assert field in resp.get_json()["error"]["fields"]


def test_R8_extra_node_is_a_valid_county(client, admin_headers):
    resp = client.post(
        "/api/v1/admin/enterprises",
        json=_body(region_code="133100", capacity_mw=None),
        headers=admin_headers,
    )
    assert resp.status_code == 201


def test_R8_duplicate_credit_code_is_409(client, admin_headers, make_enterprise):
    make_enterprise(credit_code=HUAWEI)
    resp = client.post("/api/v1/admin/enterprises", json=_body(), headers=admin_headers)
    assert resp.status_code == 409 and "credit_code" in resp.get_json()["error"]["fields"]


def test_R8_unit_without_permit(client, admin_headers):
    resp = client.post(
        "/api/v1/admin/enterprises",
        json=_body(permit_class="none", permit_no=None, capacity_mw=None),
        headers=admin_headers,
    )
    assert resp.status_code == 201


def test_create_enterprise_needs_admin(client, make_user, api_token):
    assert client.post("/api/v1/admin/enterprises", json=_body()).status_code == 401
    reviewer = api_token(make_user(roles=["reviewer"], region_code="330000"))
    resp = client.post("/api/v1/admin/enterprises", json=_body(), headers=reviewer)
    assert resp.status_code == 403


def test_patch_enterprise(client, admin_headers, make_enterprise):
    ent = make_enterprise(grade="B")
    resp = client.patch(
        f"/api/v1/admin/enterprises/{ent.id}", json={"grade": "A"}, headers=admin_headers
    )
    assert resp.status_code == 200 and resp.get_json()["grade"] == "A"
    bad = client.patch(
        f"/api/v1/admin/enterprises/{ent.id}", json={"credit_code": "X"}, headers=admin_headers
    )
    assert bad.status_code == 422


def test_R7_enterprise_reads_are_jurisdiction_scoped(client, make_user, make_enterprise, api_token):
    xihu = make_enterprise(region_code="330106")
    wenzhou = make_enterprise(region_code="330302")
    hebei = make_enterprise(region_code="130102")
    city = api_token(make_user(roles=["reviewer"], region_code="330100"))
    province = api_token(make_user(roles=["approver"], region_code="330000"))
    own = api_token(make_user(roles=["enterprise"], enterprise=wenzhou))
    admin = api_token(make_user(roles=["admin"]))

    def ids(headers):
        body = client.get("/api/v1/enterprises", headers=headers).get_json()
        assert body["total"] == len(body["items"])
        return {e["id"] for e in body["items"]}

    assert ids(city) == {xihu.id}
    assert ids(province) == {xihu.id, wenzhou.id}
    assert ids(own) == {wenzhou.id}
    assert ids(admin) == {xihu.id, wenzhou.id, hebei.id}
    assert client.get(f"/api/v1/enterprises/{xihu.id}", headers=city).status_code == 200
    assert client.get(f"/api/v1/enterprises/{wenzhou.id}", headers=city).status_code == 403
    assert client.get(f"/api/v1/enterprises/{xihu.id}", headers=own).status_code == 403
    assert client.get("/api/v1/enterprises/99999", headers=admin).status_code == 404
    assert client.get("/api/v1/enterprises").status_code == 401
