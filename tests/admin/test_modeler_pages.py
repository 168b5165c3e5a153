"""Admin pages of issue 5: process list, modeler, versions with migration, diff, DMN list, form
editor (meta-check, preview by the inbox macros, DB version read by the inbox), policy tables with
their audit."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import engine
from app.inbox import forms as inbox_forms
from tests.auth.conftest import csrf_from

ROOT = Path(__file__).resolve().parents[2]
ALLOCATION = (ROOT / "bpmn" / "allocation.bpmn").read_text(encoding="utf-8")


@pytest.fixture
def admin_client(client, make_user, login):
    login(client, make_user(roles=["admin"], username="root", display_name="系统管理员"))
    return client


def _csrf(client, url):
    return csrf_from(client.get(url).get_data(as_text=True))


def test_pages_render_for_an_admin_and_not_for_others(admin_client, deployed):
    for url in ("/admin/processes", "/admin/processes/allocation/modeler",
                "/admin/processes/allocation/versions", "/admin/decisions", "/admin/forms",
                "/admin/forms/allocation_draft", "/admin/policy/fees",
                "/admin/policy/benchmarks", "/admin/policy/pilots"):
        assert admin_client.get(url).status_code == 200, url
    html = admin_client.get("/admin/processes/allocation/modeler").get_data(as_text=True)
    assert "vendor/modeler.bundle.js" in html and "allocation_draft.schema.json" in html
    xml = admin_client.get("/admin/processes/allocation/versions/1.bpmn?download=1")
    assert xml.status_code == 200 and "attachment" in xml.headers["Content-Disposition"]


def test_other_roles_are_forbidden(client, make_user, login, deployed):
    login(client, make_user(roles=["handler"]))
    for url in ("/admin/processes", "/admin/processes/allocation/modeler", "/admin/forms"):
        assert client.get(url).status_code == 403


def test_modeler_deploy_refuses_task_without_form_with_its_element(admin_client, deployed):
    token = _csrf(admin_client, "/admin/processes/allocation/modeler")
    bad = ALLOCATION.replace(
        '<spiffworkflow:property name="formJsonSchemaFilename" '
        'value="allocation_draft.schema.json" />', "")
    resp = admin_client.post("/admin/processes/allocation/deploy",
                             json={"xml": bad, "comment": "x"},
                             headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert resp.status_code == 422 and resp.json["error"]["fields"]["element_id"] == ["draft"]
    assert engine.version_list("allocation")[0].version == 1


def test_versions_page_lists_counts_and_migrates(admin_client, staff, start_allocation):
    info = start_allocation(staff["handler"])
    renamed = ALLOCATION.replace('name="审批核定量"', 'name="审批（新）"')
    engine.deploy_process("allocation", renamed, actor_id=None, comment="改名")
    from app.extensions import db

    db.session.commit()
    html = admin_client.get("/admin/processes/allocation/versions").get_data(as_text=True)
    assert "改名" in html and f'data-instance="{info.id}"' in html
    token = _csrf(admin_client, "/admin/processes/allocation/versions")
    resp = admin_client.post(f"/admin/instances/{info.id}/migrate",
                             data={"csrf_token": token, "key": "allocation"})
    assert resp.status_code == 302 and engine.get_instance(info.id).version == 2
    diff = admin_client.get("/admin/processes/diff?key=allocation&base=1&other=2")
    assert diff.status_code == 200 and "approve" in diff.get_data(as_text=True)


def test_form_editor_meta_check_preview_and_saved_version_used_by_inbox(admin_client, deployed):
    url = "/admin/forms/allocation_review"
    token = _csrf(admin_client, url)
    bad = admin_client.post(url, data={"csrf_token": token, "schema": '{"type": 12}', "ui": "{}",
                                       "comment": "坏"})
    assert bad.status_code == 422 and "JSON Schema" in bad.get_data(as_text=True)
    schema = {"type": "object", "title": "复核（新）",
              "properties": {"opinion": {"type": "string", "title": "复核意见（新）"}}}
    preview = admin_client.post("/admin/forms/preview", data={
        "csrf_token": token, "schema": json.dumps(schema), "ui": "{}"})
    assert preview.status_code == 200 and "复核意见（新）" in preview.get_data(as_text=True)
    ok = admin_client.post(url, data={"csrf_token": token, "schema": json.dumps(schema),
                                      "ui": "{}", "comment": "简化复核表单"})
    assert ok.status_code == 302
    assert inbox_forms.load_form("allocation_review").schema["title"] == "复核（新）"


def test_fee_standard_change_is_audited_and_shown(admin_client, make_region_tree):
    from app.auth.models import Region
    from app.extensions import db

    province = db.session.query(Region).filter_by(level="province").first()
    url = "/admin/policy/fees"
    token = _csrf(admin_client, url)
    resp = admin_client.post(url, data={"csrf_token": token, "province_code": province.code,
                                        "pollutant": "COD", "value": "4500"})
    assert resp.status_code == 302
    html = admin_client.get(url).get_data(as_text=True)
    assert "4500.00" in html and "系统管理员" in html
    refused = admin_client.post(url, data={"csrf_token": token, "province_code": province.code,
                                           "pollutant": "COD", "value": "-1"})
    assert refused.status_code == 422
