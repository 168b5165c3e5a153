"""Printable documents share one layout (templates/print/document.html): the issuing bureau's full
name, the document number (文号), a print button (a script file, no inline JavaScript) and A4
print CSS. The certificate carries a QR code of its public verification address (R39)."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from app.common import clock
from tests.public.conftest import XIHU

BUREAU = "杭州市生态环境局西湖分局"


def _layout(html: str) -> None:
    """The shared print layout is there, exactly once."""
    assert html.count('data-testid="doc-bureau"') == 1 and html.count("data-print") == 1
    assert '<link rel="stylesheet" href="/static/css/print.css">' in html
    assert '<script src="/static/js/public.js"></script>' in html and "<script>" not in html
    assert "@media print" in html and "size: A4" in html
    assert ">打印</button>" in html


def test_R39_printable_certificate_has_a_qr_code_of_the_verification_url(client, login,
                                                                         make_user, trade):
    inst, cert = trade
    login(client, make_user(roles=["handler"], region_code=XIHU))
    resp = client.get(f"/trading/trades/{inst.id}/certificate")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    _layout(html)
    url = f"http://localhost/public/certificates/{cert.number}"
    assert re.search(r'<figure[^>]*data-testid="certificate-qr"[^>]*>\s*<svg[^>]*class="erflow-qr"'
                     r'[^>]*>.*?<path [^>]*d="M', html, re.S)
    assert f'<span class="erflow-qr-caption" data-testid="verify-url">{url}</span>' in html
    assert BUREAU in html and cert.number in html and "排污权电子凭证" in html
    # the address in the code answers "genuine"
    client.get("/public/")  # any anonymous page; the test client keeps the session cookie
    check = client.get(url.removeprefix("http://localhost"))
    assert check.status_code == 200 and "经核验，该凭证真实有效。" in check.get_data(as_text=True)
    assert client.get(f"/api/v1/public/certificates/{cert.number}").json["valid"] is True


def test_contract_prints_with_bureau_and_a_stable_document_number(client, login, make_user,
                                                                  trade):
    inst, _cert = trade
    login(client, make_user(roles=["handler"], region_code=XIHU))
    html = client.get(f"/trading/trades/{inst.id}/contract").get_data(as_text=True)
    _layout(html)
    number = f"西环交易〔2026〕{inst.id}号"
    assert BUREAU in html and number in html and "协议转让" in html and "JY-2026-000007" in html
    clock.set_now(datetime(2027, 5, 1, 2, 0, tzinfo=UTC))  # reprinted a year later: same number
    assert number in client.get(f"/trading/trades/{inst.id}/contract").get_data(as_text=True)
    en = client.get(f"/trading/trades/{inst.id}/contract?lang=en").get_data(as_text=True)
    assert "Emission rights trading contract" in en and ">Print</button>" in en


def test_R15_fee_notice_prints_with_bureau_and_number(client, login, make_user, fee_notice):
    login(client, make_user(roles=["handler"], region_code=XIHU))
    html = client.get(f"/allocation/fee-notices/{fee_notice.id}").get_data(as_text=True)
    _layout(html)
    assert BUREAU in html and fee_notice.number in html and "缴款核定通知单" in html


def test_review_decision_prints_with_bureau_and_number(client, login, make_user,
                                                       decided_review):
    owner = make_user(roles=["enterprise"])
    inst = decided_review(owner=owner, business_key="FP-2025-000043")
    login(client, owner)
    html = client.get(f"/documents/decisions/{inst.id}").get_data(as_text=True)
    _layout(html)
    assert BUREAU in html and "FP-2025-000043-JD01" in html and "审查决定书" in html
