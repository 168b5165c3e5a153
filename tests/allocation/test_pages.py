"""The printable fee notice (缴款核定通知单, R15): bureau, document number, lines; payment form."""
from __future__ import annotations

from datetime import UTC, date, datetime

from app.common import clock
from app.extensions import db
from app.ledger import fees


def test_R15_printable_notice_and_bureau_confirms_payment(app, client, make_enterprise,
                                                          make_user, login):
    clock.set_now(datetime(2025, 10, 10, 2, 0, tzinfo=UTC))
    ent = make_enterprise()
    notice = fees.issue_notice(
        enterprise_id=ent.id, region_code="330106", amounts={"COD": "1.2345"},
        valid_from=date(2026, 3, 18), valid_to=date(2030, 12, 31), finalised_at=clock.now(),
        payment_days=30, notice_working_days=10)
    db.session.commit()
    handler = make_user(roles=["handler"])
    login(client, handler)
    page = client.get(f"/allocation/fee-notices/{notice.id}").get_data(as_text=True)
    assert notice.number in page and notice.bureau_name in page and "23661.81" in page
    assert "缴款核定通知单" in page and 'name="csrf_token"' in page
    outsider = make_user(roles=["enterprise"])
    login(client, outsider)
    assert client.get(f"/allocation/fee-notices/{notice.id}").status_code == 404
