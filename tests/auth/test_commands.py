"""`flask erflow create-admin` and `flask erflow seed-demo`."""
from sqlalchemy import func, select

from app.auth import services
from app.auth.models import Enterprise, User
from app.extensions import db


def test_create_admin_from_environment(app, monkeypatch):
    monkeypatch.setenv("ERFLOW_ADMIN_PASSWORD", "very-secret-1")
    result = app.test_cli_runner().invoke(args=["erflow", "create-admin", "chief"])
    assert result.exit_code == 0, result.output
    user = services.find_user("chief")
    assert user.roles == ["admin"] and user.region_code is None
    assert services.verify_password(user, "very-secret-1")


def test_create_admin_prompts_for_password(app, monkeypatch):
    monkeypatch.delenv("ERFLOW_ADMIN_PASSWORD", raising=False)
    result = app.test_cli_runner().invoke(
        args=["erflow", "create-admin", "chief2"], input="prompted-pass\nprompted-pass\n"
    )
    assert result.exit_code == 0, result.output
    assert services.verify_password(services.find_user("chief2"), "prompted-pass")


def test_create_admin_refuses_duplicates_and_short_passwords(app, monkeypatch):
    monkeypatch.setenv("ERFLOW_ADMIN_PASSWORD", "short")
    result = app.test_cli_runner().invoke(args=["erflow", "create-admin", "chief"])
    assert result.exit_code != 0 and "密码" in result.output
    monkeypatch.setenv("ERFLOW_ADMIN_PASSWORD", "very-secret-1")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["erflow", "create-admin", "chief"]).exit_code == 0
    again = runner.invoke(args=["erflow", "create-admin", "chief"])
    assert again.exit_code != 0 and "用户名已被使用" in again.output


def test_seed_demo_is_idempotent_and_prints_logins(app):
    app.config["ERFLOW_PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"
    runner = app.test_cli_runner()
    first = runner.invoke(args=["erflow", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output and "admin123" in first.output
    counts = (
        db.session.scalar(select(func.count()).select_from(User)),
        db.session.scalar(select(func.count()).select_from(Enterprise)),
    )
    second = runner.invoke(args=["erflow", "seed-demo"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert counts == (
        db.session.scalar(select(func.count()).select_from(User)),
        db.session.scalar(select(func.count()).select_from(Enterprise)),
    )
    assert counts == (1 + 12 + 6, 6)


def test_seed_demo_content(app):
    from app.seed import seed_demo

    app.config["ERFLOW_PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"
    seed_demo()
    db.session.commit()
    admin = services.find_user("admin")
    assert admin.roles == ["admin"] and services.verify_password(admin, "admin123")
    xihu = services.find_user("xihu_reviewer")
    assert xihu.region_code == "330106" and services.verify_password(xihu, "demo1234")
    assert services.find_user("hebei_reviewer").region_code == "130000"
    units = db.session.scalars(select(Enterprise)).all()
    assert {e.grade for e in units} == {"A", "B", "C", "D"}
    assert {e.source_type for e in units} == {"industrial", "agricultural"}
    capacities = {str(e.capacity_mw) for e in units if e.capacity_mw is not None}
    assert capacities == {"350.0", "299.9"}
    assert any(e.permit_class == "none" and e.permit_no is None for e in units)
    for unit in units:
        user = db.session.scalar(select(User).where(User.enterprise_id == unit.id))
        assert user is not None and user.roles == ["enterprise"]
