"""PDF output of the four printable documents (缴款核定通知单, 合同, 排污权电子凭证,
审查决定书): each print page links its PDF (the page's path + ".pdf"), the PDF is a real PDF
named after the document number, carries the number in its metadata, embeds Noto Sans CJK
(Chinese is not set as tofu), and is refused across jurisdictions exactly like the page (R7)."""
from __future__ import annotations

import re
import zlib

from tests.public.conftest import GONGSHU, XIHU


def pdf_facts(data: bytes) -> tuple[list[str], set[str]]:
    """The PDF's titles (document /Title and bookmark titles) and the names of its embedded
    fonts, read from its deflated streams."""
    titles, fonts = [], set()
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            text = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        titles += [bytes.fromhex(t.decode()).decode("utf-16")
                   for t in re.findall(rb"/Title\s*<([0-9a-fA-F]+)>", text)]
        titles += [t.decode("latin-1") for t in re.findall(rb"/Title\s*\(([^)]*)\)", text)]
        fonts |= {f.decode() for f in re.findall(rb"/BaseFont\s*/([^\s/<>\[\]()]+)", text)}
    return titles, fonts


def check_pdf(resp, number: str) -> None:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF-")
    assert "attachment;" in resp.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    titles, fonts = pdf_facts(resp.data)
    assert any(number in t for t in titles), titles
    assert any("Noto-Sans-CJK" in f for f in fonts), fonts  # Chinese glyphs, not tofu


def _link(html: str, path: str) -> None:
    assert f'href="{path}.pdf" data-testid="pdf-link" download>下载 PDF</a>' in html


def test_R15_fee_notice_pdf(client, login, make_user, fee_notice):
    path = f"/allocation/fee-notices/{fee_notice.id}"
    login(client, make_user(roles=["handler"], region_code=XIHU))
    _link(client.get(f"{path}?lang=zh_CN").get_data(as_text=True), path)
    check_pdf(client.get(f"{path}.pdf"), fee_notice.number)
    login(client, make_user(roles=["handler"], region_code=GONGSHU))  # R7: the neighbour county
    assert client.get(f"{path}.pdf").status_code == 404
    assert client.get(path).status_code == 404


def test_R24_contract_pdf(client, login, make_user, trade):
    inst, _cert = trade
    path = f"/trading/trades/{inst.id}/contract"
    login(client, make_user(roles=["handler"], region_code=XIHU))
    _link(client.get(f"{path}?lang=zh_CN").get_data(as_text=True), path)
    check_pdf(client.get(f"{path}.pdf"), f"西环交易〔2026〕{inst.id}号")
    en = client.get(f"{path}.pdf?lang=en")
    check_pdf(en, f"西环交易〔2026〕{inst.id}号")
    assert any(t.startswith("Emission rights trading contract") for t in pdf_facts(en.data)[0])
    login(client, make_user(roles=["handler"], region_code=GONGSHU))
    assert client.get(f"{path}.pdf").status_code == 404


def test_R39_certificate_pdf_for_the_parties_only(client, login, make_user, trade):
    inst, cert = trade
    path = f"/trading/trades/{inst.id}/certificate"
    buyer = make_user(roles=["enterprise"], enterprise_id=inst.enterprise_id)
    login(client, buyer)
    _link(client.get(f"{path}?lang=zh_CN").get_data(as_text=True), path)
    check_pdf(client.get(f"{path}.pdf"), cert.number)
    login(client, make_user(roles=["handler"], region_code=GONGSHU))
    assert client.get(f"{path}.pdf").status_code == 404
    anonymous = client.application.test_client()  # the printout is not public (verification is)
    assert anonymous.get(f"{path}.pdf").status_code in (302, 401)


def test_review_decision_pdf(client, login, make_user, staff, decided_review):
    owner = make_user(roles=["enterprise"])
    inst = decided_review(owner=owner, business_key="FP-2025-000044")
    path = f"/documents/decisions/{inst.id}"
    login(client, owner)
    _link(client.get(f"{path}?lang=zh_CN").get_data(as_text=True), path)
    check_pdf(client.get(f"{path}.pdf"), "FP-2025-000044-JD01")
    login(client, staff["other_county"])  # R7
    assert client.get(f"{path}.pdf").status_code == 404
    login(client, make_user(roles=["enterprise"]))  # another unit
    assert client.get(f"{path}.pdf").status_code == 404
