"""Uploads: limited in size and type (content checked against the extension), served as
attachments with nosniff, never rendered inline."""
from __future__ import annotations

import base64
import io

import pytest

from app import engine
from app.config import ROOT
from app.extensions import db

FORMS = ROOT / "tests" / "faults" / "fixtures" / "forms"
DIAGRAM = ROOT / "tests" / "faults" / "fixtures" / "fault_task.bpmn"


@pytest.fixture
def target(app, make_user, api_token):
    app.config["ERFLOW_FORMS_DIR"] = str(FORMS)
    engine.deploy({DIAGRAM.name: DIAGRAM.read_text("utf-8")}, actor_id=None)
    info = engine.start("fault_task", {"tag": "ok"}, actor_id=None, handling_region="330106")
    db.session.commit()
    return f"/api/v1/instances/{info.id}/attachments", api_token(
        make_user(roles=["reviewer"], region_code="330106"))


def _send(client, url, headers, name: str, content: bytes):
    return client.post(url, headers=headers, json={
        "filename": name, "content_base64": base64.b64encode(content).decode()})


@pytest.mark.parametrize("name,content", [
    ("run.exe", b"MZ\x90\x00"),
    ("page.html", b"<html><script>alert(1)</script>"),
    ("image.svg", b"<svg onload=alert(1)>"),
    ("fake.pdf", b"<html>not a pdf"),
    ("fake.png", b"GIF89a"),
    ("empty.pdf", b""),
])
def test_types_outside_the_list_or_with_the_wrong_content_are_refused(client, target, name,
                                                                      content):
    url, headers = target
    resp = _send(client, url, headers, name, content)
    assert resp.status_code == 422, resp.json
    assert "file" in resp.json["error"]["fields"]


def test_size_is_limited(app, client, target):
    url, headers = target
    app.config["ERFLOW_UPLOAD_MAX_BYTES"] = 1024
    assert _send(client, url, headers, "big.pdf", b"%PDF" + b"0" * 2000).status_code == 422
    assert _send(client, url, headers, "ok.pdf", b"%PDF" + b"0" * 500).status_code == 201
    app.config["MAX_CONTENT_LENGTH"] = 4096  # the whole request, before the app reads it
    resp = client.post(url, headers=headers,
                       data={"file": (io.BytesIO(b"%PDF" + b"0" * 8000), "x.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 413


def test_downloads_are_attachments_with_nosniff(client, target):
    url, headers = target
    made = _send(client, url, headers, "<script>x</script>.txt",
                 b"<html><script>alert(1)</script></html>")
    assert made.status_code == 201, made.json
    resp = client.get(f"/api/v1/attachments/{made.json['id']}", headers=headers)
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.mimetype == "text/plain"  # stored type from the allow-list, never text/html
    assert "<script>" not in resp.headers["Content-Disposition"]
