"""Admin pages for users and enterprises: access, CSRF, field errors re-rendered with input kept."""
import pytest
from sqlalchemy import select

from app.auth.models import Enterprise, User
from app.extensions import db
from tests.auth.conftest import csrf_from


@pytest.fixture
def admin_client(client, make_user, login):
    login(client, make_user(roles=["admin"], username="root"))
    return client


def _tag(html: str, marker: str) -> str:
    """The whole HTML tag that contains `marker`."""
    at = html.index(marker)
    return html[html.rindex("<", 0, at) : html.index(">", at) + 1]


def _form(client, url, **data):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_admin_index_links_to_sections(admin_client):
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/users"' in html and 'href="/admin/enterprises"' in html


def test_admin_pages_forbidden_for_other_roles(client, make_user, login):
    login(client, make_user(roles=["handler", "reviewer", "approver"]))
    for url in ("/admin/", "/admin/users", "/admin/users/new", "/admin/enterprises/new"):
        assert client.get(url).status_code == 403


def test_users_list_and_create(admin_client):
    resp = _form(
        admin_client,
        "/admin/users/new",
        username="li",
        display_name="李经办",
        password="long-enough",
        roles=["handler"],
        region_code="330106",
        active="y",
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/users")
    user = db.session.scalar(select(User).where(User.username == "li"))
    assert user.roles == ["handler"] and user.region_code == "330106" and user.active
    listing = admin_client.get("/admin/users").get_data(as_text=True)
    assert "李经办" in listing and "330106" in listing


def test_user_form_rerenders_errors_with_input_kept(admin_client):
    resp = _form(
        admin_client,
        "/admin/users/new",
        username="zhao",
        display_name="赵审核",
        password="long-enough",
        roles=["reviewer"],
        region_code="",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "须指定所属行政区划" in html
    assert 'value="zhao"' in html and 'value="赵审核"' in html
    assert 'checked' in _tag(html, 'value="reviewer"')
    assert "long-enough" not in html
    assert db.session.scalar(select(User).where(User.username == "zhao")) is None


def test_user_form_without_csrf_is_refused(admin_client):
    resp = admin_client.post(
        "/admin/users/new",
        data={"username": "x1", "password": "long-enough", "roles": ["admin"]},
    )
    assert resp.status_code == 400
    assert db.session.scalar(select(User).where(User.username == "x1")) is None


def test_edit_user_keeps_password_when_empty(admin_client, make_user):
    user = make_user(roles=["handler"], region_code="330106")
    old_hash = user.password_hash
    url = f"/admin/users/{user.id}/edit"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'value="330106" selected' in page
    resp = _form(
        admin_client,
        url,
        username=user.username,
        display_name="新名字",
        password="",
        roles=["handler", "approver"],
        region_code="330100",
        active="y",
    )
    assert resp.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.display_name == "新名字" and user.roles == ["approver", "handler"]
    assert user.region_code == "330100" and user.password_hash == old_hash


def _enterprise_data(**kw):
    return {
        "name": "杭州页面测试有限公司",
        "credit_code": "91440300708461136T",
        "region_code": "330106",
        "source_type": "industrial",
        "industry": "印染",
        "permit_class": "simplified",
        "permit_no": "PN-001",
        "auto_monitoring": "y",
        "grade": "B",
        "capacity_mw": "",
        "water_system": "",
        **kw,
    }


def test_R8_enterprise_create_page(admin_client):
    resp = _form(admin_client, "/admin/enterprises/new", **_enterprise_data())
    assert resp.status_code == 302
    ent = db.session.scalar(select(Enterprise).where(Enterprise.name == "杭州页面测试有限公司"))
    assert ent.auto_monitoring and ent.permit_class == "simplified" and ent.capacity_mw is None
    listing = admin_client.get("/admin/enterprises").get_data(as_text=True)
    assert "91440300708461136T" in listing


def test_R8_enterprise_form_bad_credit_code_keeps_input(admin_client):
    resp = _form(
        admin_client,
        "/admin/enterprises/new",
        **_enterprise_data(credit_code="91440300708461136X", capacity_mw="12.5"),
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "校验码" in html
    assert 'value="91440300708461136X"' in html and 'value="杭州页面测试有限公司"' in html
    assert 'value="12.5"' in html and 'value="330106" selected' in html
    assert db.session.scalar(select(Enterprise)) is None


def test_R8_enterprise_edit_page(admin_client, make_enterprise):
    ent = make_enterprise(capacity_mw="299.9")
    url = f"/admin/enterprises/{ent.id}/edit"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'value="299.9"' in page and ent.credit_code in page
    data = _enterprise_data(
        name=ent.name, credit_code=ent.credit_code, grade="A", capacity_mw="300"
    )
    resp = _form(admin_client, url, **data)
    assert resp.status_code == 302
    db.session.expire_all()
    ent = db.session.get(Enterprise, ent.id)
    assert ent.grade == "A" and str(ent.capacity_mw) == "300.0"


def test_enterprise_form_without_csrf_is_refused(admin_client):
    resp = admin_client.post("/admin/enterprises/new", data=_enterprise_data())
    assert resp.status_code == 400
