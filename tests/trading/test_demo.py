"""The demo data (`flask erflow seed-demo`) shows a trade in each state the pages need, including a
green-channel purchase taken to its certificate, so the public register of completed trades and
certificate verification have an entry (R29, R38, R39)."""
from __future__ import annotations

from sqlalchemy import select

from app import engine
from app.config import ROOT
from app.engine.models import ProcessInstance
from app.extensions import db
from app.ledger.services import ledger_check
from app.public import services as public
from app.trading.models import Certificate
from app.trading.services import public_certificate


def test_R29_R38_R39_demo_has_a_completed_green_trade_in_the_public_register(app):
    from app.seed import seed_demo

    app.config["ERFLOW_PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"
    engine.deploy_dir(ROOT / "bpmn", actor_id=None)
    seed_demo()
    db.session.commit()
    trades = db.session.scalars(select(ProcessInstance).where(ProcessInstance.key == "trade")).all()
    assert len(trades) == 4
    done = [t for t in trades if t.status == "completed" or (t.summary or {}).get("certificate")]
    assert len(done) == 1 and done[0].summary["green_channel"] is True
    cert = db.session.scalar(select(Certificate))
    assert public_certificate(number=cert.number)["valid"] is True
    page = public.trades()
    assert page.total == 1 and page.items[0].number == cert.number
    assert ledger_check() == []  # R37: the demo's books balance


def test_R24_permit_change_page_of_a_completed_trade_reads_in_chinese(app, client, login):
    """The buyer's last step shows the whole trade summary: nested data (the project, its
    substitution), accounts and methods by name, a count as a number (not 否)."""
    from app.auth.models import User
    from app.engine.models import HumanTask
    from app.seed import seed_demo

    app.config["ERFLOW_PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"
    engine.deploy_dir(ROOT / "bpmn", actor_id=None)
    seed_demo()
    db.session.commit()
    task = db.session.scalar(select(HumanTask).where(HumanTask.name == "permit_change",
                                                     HumanTask.state == "open"))
    login(client, db.session.scalar(select(User).where(User.username == "changan_steel")))
    resp = client.get(f"/inbox/tasks/{task.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for text in ("石家庄长安钢铁有限公司", "长安区储备", "协议转让", "简易登记",
                 "烧结烟气超低排放改造配套项目", "报价次数"):
        assert text in html, text
    assert "buyer_id" not in html and "reserve:130102" not in html


def test_R25_demo_has_an_open_mediation_in_the_xihu_handlers_inbox(app):
    from app.auth.models import User
    from app.engine.models import HumanTask
    from app.inbox import queries
    from app.seed import seed_demo
    from app.trading.models import MediationRequest

    app.config["ERFLOW_PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"
    engine.deploy_dir(ROOT / "bpmn", actor_id=None)
    seed_demo()
    db.session.commit()
    row = db.session.scalar(select(MediationRequest))
    assert row.status == "open" and row.party == "buyer" and row.mediation_instance_id
    trade = db.session.get(ProcessInstance, row.instance_id)
    assert trade.summary["mediation"]["status"] == "open"
    handler = db.session.scalar(select(User).where(User.username == "xihu_handler"))
    task = db.session.scalar(select(HumanTask).where(
        HumanTask.instance_id == row.mediation_instance_id, HumanTask.state == "open"))
    assert task.name == "mediate" and queries.can_work(handler, task)


def test_R20_R38_demo_has_a_listed_reserve_sale_on_the_public_portal(app):
    from app.public import sales
    from app.seed import seed_demo

    app.config["ERFLOW_PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"
    engine.deploy_dir(ROOT / "bpmn", actor_id=None)
    seed_demo()
    db.session.commit()
    page = sales.open_sales()
    assert page.total == 1
    sale = page.items[0]
    assert (sale.method, sale.seller_kind) == ("listing", "reserve")
    assert sale.amounts == {"COD": "0.8000"}
    assert str(sale.price_per_tonne) == "4500.00" and sale.closes_at is not None
    # another demo unit may take part from the bid page (README: zhijiang_chem)
    from app.auth.models import User
    from app.trading import bidding

    unit = db.session.scalar(select(User).where(User.username == "zhijiang_chem"))
    assert bidding.standing_refusal(user=unit, instance_id=sale.instance_id) is None
