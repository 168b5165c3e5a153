"""The public disclosure portal (R38) in a real browser, in Chinese and English, and the printable
certificate with its QR code (R39). Screenshots: tests/e2e/screens/public_*.png."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db

TEXT = {
    "zh_CN": {"title": "信息公开", "trades": "成交信息", "reserves": "储备排污权",
              "left": "剩余", "total": "共"},
    "en": {"title": "Public disclosure", "trades": "Completed trades",
           "reserves": "Reserve balances", "left": "hours left", "total": "in total"},
}


def _settled_trade(app) -> tuple[int, str]:
    """A 西湖区 trade row with its certificate (the demo settles none): (instance id, number)."""
    from app.auth.models import Enterprise
    from app.common import clock
    from app.engine.models import ProcessInstance, ProcessVersion
    from app.trading import certificates

    with app.app_context():
        buyer, seller = db.session.scalars(select(Enterprise).where(
            Enterprise.region_code == "330106").order_by(Enterprise.id).limit(2)).all()
        version = db.session.scalar(select(ProcessVersion).where(ProcessVersion.key == "trade"))
        inst = ProcessInstance(
            key="trade", version=version.version, version_id=version.id, status="running",
            state_json="{}", business_key="JY-E2E-000001", handling_region="330106",
            enterprise_id=buyer.id, started_at=clock.now(),
            summary={"buyer_id": buyer.id, "seller": f"enterprise:{seller.id}",
                     "amounts": {"COD": "1.0000"}, "method": "agreement",
                     "price_per_tonne": "5000.00", "total_price": "5000.00"})
        db.session.add(inst)
        db.session.flush()
        cert = certificates.issue(
            instance_id=inst.id, buyer_id=buyer.id, seller=f"enterprise:{seller.id}",
            region_code="330106", amounts={"COD": "1.0000"},
            price_per_tonne=Decimal("5000.00"), total_price=Decimal("5000.00"),
            method="agreement", registration="standard", valid_from=date(2026, 1, 1),
            valid_to=date(2030, 12, 31))
        db.session.commit()
        return inst.id, cert.number


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_R38_public_portal_in_both_languages(live_server, page, screenshot, lang):
    _instance_id, number = _settled_trade(live_server.app)
    text = TEXT[lang]
    short = "zh" if lang == "zh_CN" else "en"

    page.goto(f"{live_server}/public/?lang={lang}")
    main = page.locator("main")
    assert text["title"] in main.inner_text() and text["total"] in main.inner_text()
    countdowns = page.locator("[data-testid=countdown]")
    if countdowns.count():  # the demo's allocations under publication: updated by public.js
        assert text["left"] in countdowns.first.inner_text()
    screenshot(page, f"public_publications_{short}")

    page.get_by_role("link", name=text["trades"]).focus()  # tabs are links: keyboard reachable
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("a.nav-link.active").inner_text() == text["trades"]
    assert number in main.inner_text()
    screenshot(page, f"public_trades_{short}")

    page.goto(f"{live_server}/public/reserves")
    assert text["reserves"] in main.inner_text()
    screenshot(page, f"public_reserves_{short}")


def test_R39_printable_certificate_with_qr_code(live_server, page, login, screenshot):
    instance_id, number = _settled_trade(live_server.app)
    login(page, "xihu_handler", "demo1234")
    page.goto(f"{live_server}/trading/trades/{instance_id}/certificate?lang=zh_CN")
    page.wait_for_selector("[data-testid=certificate-qr] svg.erflow-qr")
    assert page.locator("[data-testid=doc-bureau]").inner_text() == "杭州市生态环境局西湖分局"
    url = page.locator("[data-testid=verify-url]").inner_text()
    assert url == f"{live_server}/public/certificates/{number}"
    screenshot(page, "public_certificate_print")
    page.emulate_media(media="print")
    assert not page.locator("nav.navbar").is_visible()  # print CSS leaves the navigation out
    assert not page.locator("[data-print]").is_visible()
    page.emulate_media(media="screen")
    page.goto(url)
    assert page.locator("[data-testid=verify-result]").inner_text() == "经核验，该凭证真实有效。"
