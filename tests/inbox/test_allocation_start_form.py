"""The handler's allocation start page is a guided form (forms/allocation_start.*): the unit's
number and six optional tonnes fields, each with plain-Chinese help tied by aria-describedby;
the API start keeps API.md's shape {"enterprise_id", "amounts":{…}} (R1, R2, R10 still decided by
the allocation's own checks)."""
from __future__ import annotations

from tests.inbox.test_form_help import _parse
from tests.inbox.test_pages import csrf

URL = "/api/v1/processes/allocation/instances"


def test_allocation_start_page_renders_fields_with_help(client, login, staff, deployed):
    login(client, staff["handler"])
    html = client.get("/inbox/start/allocation").get_data(as_text=True)
    page = _parse(html)
    names = {c.get("name") for c in page.controls} - {"csrf_token"}
    assert names == {"enterprise_id", "amounts.COD", "amounts.NH3-N", "amounts.SO2",
                     "amounts.NOx", "amounts.VOCs", "amounts.TP"}
    assert "data_json" not in html
    for control in page.controls:
        if control.get("name") == "csrf_token":
            continue
        assert control["id"] in page.labels
        assert f"{control['id']}-help" in control.get("aria-describedby", "").split()
    assert "企业编号" in page.text_by_id["f-enterprise_id-help"]
    assert "吨/年" in page.text_by_id["f-amounts-COD-help"]
    en = client.get("/inbox/start/allocation?lang=en").get_data(as_text=True)
    assert "enterprise number in this system" in en and "Proposed amounts (t/yr)" in en


def test_allocation_start_form_keeps_input_and_names_rule_refusals(client, login, staff, deployed,
                                                                   make_enterprise):
    login(client, staff["handler"])
    token = csrf(client.get("/inbox/start/allocation").get_data(as_text=True))
    ent = make_enterprise(region_code="330106")
    empty = client.post("/inbox/start/allocation", data={"csrf_token": token,
                                                         "enterprise_id": str(ent.id)})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and 'id="f-amounts-error"' in html
    assert f'value="{ent.id}"' in html  # kept
    bad = client.post("/inbox/start/allocation", data={
        "csrf_token": token, "enterprise_id": str(ent.id), "amounts.COD": "1.23456"})
    assert bad.status_code == 422 and 'id="f-amounts-COD-error"' in bad.get_data(as_text=True)
    unpermitted = make_enterprise(region_code="330106", permit_class="none", permit_no=None)
    refused = client.post("/inbox/start/allocation", data={
        "csrf_token": token, "enterprise_id": str(unpermitted.id), "amounts.SO2": "3"})
    assert refused.status_code == 422 and "（R10）" in refused.get_data(as_text=True)


def test_api_start_keeps_api_md_shape(client, staff, api_token, make_enterprise, deployed):
    handler = api_token(staff["handler"])
    ent = make_enterprise(region_code="330106")
    for enterprise_id in (ent.id, str(ent.id)):
        resp = client.post(URL, headers=handler, json={"data": {
            "enterprise_id": enterprise_id, "amounts": {"COD": "12.5000", "SO2": "3.2"}}})
        assert resp.status_code == 201, resp.json
        assert resp.json["data"]["amounts"] == {"COD": "12.5000", "SO2": "3.2000"}
    missing = client.post(URL, headers=handler, json={"data": {"amounts": {"COD": "1"}}})
    assert missing.status_code == 422 and "enterprise_id" in missing.json["error"]["fields"]
    unknown = client.post(URL, headers=handler, json={"data": {
        "enterprise_id": ent.id, "amounts": {"PM10": "1"}}})
    assert unknown.status_code == 422 and "amounts.PM10" in unknown.json["error"]["fields"]
    floats = client.post(URL, headers=handler, json={"data": {
        "enterprise_id": ent.id, "amounts": {"COD": 1.5}}})
    assert floats.status_code == 422 and "amounts.COD" in floats.json["error"]["fields"]
