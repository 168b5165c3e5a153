"""The HTTP client the acceptance scenarios share: they drive ERFlow only through API.md, as an
outside program would — tokens, calls with their expected status, the test clock, and units with
their users made through the admin API. Each scenario file adds its own steps on top."""
from __future__ import annotations

from itertools import count
from pathlib import Path

from app.auth.credit_code import make_credit_code
from app.auth.services import create_user
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Accept-2025!"


class ApiHarness:
    """`label` and `tag` make each file's units recognisable; `serial` keeps credit codes apart.
    Its own admin calls log in afresh, because scenarios move the clock past a token's lifetime."""

    def __init__(self, client, *, serial: int, label: str, tag: str):
        self.client = client
        self._serial = count(serial)
        self._label, self._tag = label, tag
        create_user(username="root", password=PASSWORD, roles=["admin"], display_name="管理员")
        db.session.commit()
        self.root = self.token("root")  # for a scenario's own calls at its start

    def token(self, username: str) -> dict:
        """A fresh token (the test clock may move past a token's lifetime)."""
        resp = self.client.post("/api/v1/auth/token",
                                json={"username": username, "password": PASSWORD})
        assert resp.status_code == 200, resp.json
        return {"Authorization": f"Bearer {resp.json['token']}"}

    def call(self, method, url, who=None, expect=200, **kw):
        who = self.token(who) if isinstance(who, str) else who
        headers = {**(who or {}), **kw.pop("headers", {})}
        resp = self.client.open(f"/api/v1{url}", method=method, headers=headers, **kw)
        assert resp.status_code == expect, (method, url, resp.status_code, resp.get_json())
        return resp.get_json()

    def clock(self, iso: str) -> None:
        self.call("PUT", "/test/clock", json={"now": iso})

    def run_due(self) -> int:
        return self.call("POST", "/test/run-due")["fired"]

    def staff(self, people) -> None:
        """Bureau users from (username, role, region_code) triples."""
        for username, role, region in people:
            self.call("POST", "/admin/users", "root", expect=201, json={
                "username": username, "password": PASSWORD, "display_name": username,
                "roles": [role], "region_code": region})

    def deploy(self, *keys: str) -> None:
        for key in keys:
            self.call("POST", f"/processes/{key}/versions", "root", expect=201,
                      data=(ROOT / "bpmn" / f"{key}.bpmn").read_bytes(),
                      headers={"Content-Type": "application/xml"})

    def enterprise(self, region: str = "330106", **attrs) -> tuple[int, str]:
        """A unit (industrial, key permit, monitored, grade B unless overridden) and its user."""
        n = next(self._serial)
        body = {"name": f"{self._label}{n}", "credit_code": make_credit_code(n),
                "region_code": region, "source_type": "industrial", "industry": "化工",
                "permit_no": f"91{region}{self._tag}{n}P", "permit_class": "key",
                "auto_monitoring": True, "grade": "B", **attrs}
        if body["permit_class"] == "none":
            body.pop("permit_no")
        ent = self.call("POST", "/admin/enterprises", "root", expect=201, json=body)["id"]
        self.call("POST", "/admin/users", "root", expect=201, json={
            "username": f"unit{ent}", "password": PASSWORD, "display_name": f"unit{ent}",
            "roles": ["enterprise"], "enterprise_id": ent})
        return ent, f"unit{ent}"

    def todo(self, who, name):
        who = self.token(who) if isinstance(who, str) else who
        items = self.call("GET", "/tasks", who, query_string={"per_page": 200})["items"]
        return [t for t in items if t["name"] == name]

    def lot(self, owner, pollutant="COD", tonnes="10", valid_from="2026-01-01",
            valid_to="2030-12-31", acquisition="paid") -> dict:
        """Rights registered for `owner` (an enterprise id or "reserve:<region>")."""
        return self.call("POST", "/admin/lots", "root", expect=201, json={
            "owner": str(owner), "pollutant": pollutant, "tonnes": tonnes,
            "valid_from": valid_from, "valid_to": valid_to, "acquisition": acquisition})
