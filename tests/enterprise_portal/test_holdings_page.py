"""My emission rights (R37): balances from the ledger services the holdings API uses, each lot
with its term and how it was acquired, expiring lots highlighted, leased-in rights marked, the
certificate linked to its public verification (R39); another unit's holdings are never shown."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

from app.auth.models import Enterprise
from app.common import clock
from app.extensions import db
from app.ledger import services as ledger
from tests.inbox.test_form_help import _parse

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Mon 2026-03-02 09:00 Shanghai


def _lots(ent, other):
    clock.set_now(NOW)
    ledger.create_lot(owner=ent.id, pollutant="COD", tonnes="12.5", valid_from=date(2026, 1, 1),
                      valid_to=date(2030, 12, 31), acquisition="paid", cause="allocation",
                      certificate_no="PWQ-2026-330106-000001")
    ledger.create_lot(owner=ent.id, pollutant="SO2", tonnes="3.2", valid_from=date(2026, 1, 1),
                      valid_to=date(2026, 4, 15), acquisition="paid", cause="registration")
    ledger.create_lot(owner=ent.id, pollutant="COD", tonnes="0.5", valid_from=date(2026, 3, 1),
                      valid_to=date(2026, 12, 31), acquisition="lease", cause="lease",
                      temporary=True)
    ledger.create_lot(owner=ent.id, pollutant="NOx", tonnes="9", valid_from=date(2021, 1, 1),
                      valid_to=date(2025, 12, 31), acquisition="paid", cause="allocation")
    ledger.create_lot(owner=other.id, pollutant="NH3-N", tonnes="7.7777",
                      valid_from=date(2026, 1, 1), valid_to=date(2030, 12, 31),
                      acquisition="paid", cause="trade")
    db.session.commit()


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-testid="lot".*?</tr>', html, flags=re.S)


def test_R37_my_holdings_shows_balances_and_lots(client, login, make_user, make_enterprise):
    unit = make_user(roles=["enterprise"])
    other = make_enterprise()
    ent = db.session.get(Enterprise, unit.enterprise_id)
    _lots(ent, other)
    login(client, unit)
    resp = client.get("/my/holdings")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "我的排污权" in html
    # balances are the ledger's (the same numbers GET /api/v1/enterprises/{id}/holdings gives)
    for pollutant, tonnes in ledger.balances(ent.id).items():
        assert re.search(rf'data-pollutant="{re.escape(pollutant)}".*?{tonnes}', html, re.S)
    assert "13.0000" in html and "3.2000" in html
    rows = _rows(html)
    assert len(rows) == 3  # the expired NOx lot is not current
    cod = next(r for r in rows if "12.5000" in r)
    assert "初始分配" in cod and "2030-12-31" in cod and "2026-01-01" in cod
    assert 'href="/public/certificates/PWQ-2026-330106-000001"' in cod
    so2 = next(r for r in rows if "3.2000" in r)
    assert "table-warning" in so2 and "即将到期" in so2 and "存量登记" in so2  # ends in 44 days
    leased = next(r for r in rows if "0.5000" in r)
    assert 'data-testid="leased-in"' in leased and "租赁" in leased
    assert "table-warning" not in leased
    assert "其中 0.5000 吨为租入" in html
    assert "7.7777" not in html and "NH3-N" not in html  # the other unit's lot
    assert 'data-testid="expiring-note"' in html


def test_my_holdings_in_english_and_linked_from_my_applications(client, login, make_user,
                                                                make_enterprise):
    unit = make_user(roles=["enterprise"])
    _lots(db.session.get(Enterprise, unit.enterprise_id), make_enterprise())
    login(client, unit)
    mine = client.get("/my/applications").get_data(as_text=True)
    assert 'href="/my/holdings"' in mine
    html = client.get("/my/holdings?lang=en").get_data(as_text=True)
    assert "My emission rights" in html and "Initial allocation" in html
    assert "Leased in" in html and "Ends soon" in html
    nav = html[html.index("<nav"):html.index("</nav>")]
    assert 'href="/my/holdings" aria-current="page"' in nav


def test_R7_another_enterprises_holdings_are_404(client, login, make_user, make_enterprise):
    unit = make_user(roles=["enterprise"])
    other = make_enterprise()
    _lots(make_enterprise(), other)
    login(client, unit)
    assert client.get(f"/enterprises/{other.id}/holdings").status_code == 404
    assert client.get("/enterprises/999999/holdings").status_code == 404
    assert client.get(f"/enterprises/{unit.enterprise_id}/holdings").status_code == 200
    # bureau staff over the unit's county see it; another county's do not
    login(client, make_user(roles=["handler"], region_code="330106"))
    html = client.get(f"/enterprises/{other.id}/holdings").get_data(as_text=True)
    assert "7.7777" in html and other.name in html
    assert client.get("/my/holdings").status_code == 403
    login(client, make_user(roles=["reviewer"], region_code="330105"))
    assert client.get(f"/enterprises/{other.id}/holdings").status_code == 404


def test_holdings_page_labels_and_no_inputs(client, login, make_user):
    unit = make_user(roles=["enterprise"])
    login(client, unit)
    html = client.get("/my/holdings").get_data(as_text=True)
    assert "贵单位目前未持有有效的排污权" in html and "暂无批次" in html
    page = _parse(html)
    assert [c for c in page.controls if c.get("name") not in ("csrf_token",)] == []
