"""Public disclosure API (R38) and certificate verification placeholder (R39): no login."""
from __future__ import annotations

from tests.api.test_tasks_api import approve


def test_R38_publications_list_allocations_under_publication(client, staff, api_token,
                                                             start_allocation):
    assert client.get("/api/v1/public/publications").json["total"] == 0
    info = start_allocation(staff["handler"], name="公示测试化工有限公司")
    approve(client, staff, api_token, info)
    body = client.get("/api/v1/public/publications").json
    assert body["total"] == 1
    item = body["items"][0]
    assert item["enterprise_name"] == "公示测试化工有限公司"
    assert item["window_closes_at"].endswith("+08:00") and item["amounts"] == {"COD": "12.5000"}
    page = client.get("/public/")
    assert page.status_code == 200 and "公示测试化工有限公司" in page.get_data(as_text=True)


def test_R39_unknown_certificate_is_404(client):
    resp = client.get("/api/v1/public/certificates/ZJ-2026-000001")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"
