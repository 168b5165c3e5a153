"""Starting a lease from the inbox page with its start form (R31): the form's fields, a valid
application, and a year-crossing term refused with the rule named on the page."""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from app import engine
from app.common import clock
from app.extensions import db
from app.ledger import services as ledger

ROOT = Path(__file__).resolve().parents[2]


def test_R31_lease_started_from_the_page(client, make_enterprise, make_user, login):
    clock.set_now(datetime(2026, 2, 20, 9, tzinfo=clock.SHANGHAI))
    engine.deploy_dir(ROOT / "bpmn")
    lessor, lessee = make_enterprise(), make_enterprise()
    ledger.create_lot(owner=lessor.id, pollutant="COD", tonnes="10",
                      valid_from=date(2026, 1, 1), valid_to=date(2030, 12, 31),
                      acquisition="paid")
    db.session.commit()
    unit = make_user(roles=("enterprise",), enterprise=lessor)
    login(client, unit)
    page = client.get("/inbox/start/lease?lang=zh_CN")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for label in ("承租方", "租赁起始日", "租赁终止日", "化学需氧量"):
        assert label in text
    token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    form = {"csrf_token": token, "lessee": str(lessee.id), "amounts.COD": "3",
            "starts_on": "2026-11-01", "ends_on": "2027-01-31"}
    refused = client.post("/inbox/start/lease?lang=zh_CN", data=form)
    assert refused.status_code == 422 and "R31" in refused.get_data(as_text=True)
    form["ends_on"] = "2026-12-31"
    started = client.post("/inbox/start/lease", data=form)
    assert started.status_code == 302, started.get_data(as_text=True)
