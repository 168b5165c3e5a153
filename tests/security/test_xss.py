"""User text is escaped everywhere: XSS probes go into every text field of every page form and into
the API's text fields; then every page that could show them must contain them escaped only."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

from app import engine
from app.config import ROOT
from app.extensions import db

PROBES = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
RAW = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
FORMS = ROOT / "tests" / "faults" / "fixtures" / "forms"
DIAGRAM = ROOT / "tests" / "faults" / "fixtures" / "fault_task.bpmn"
SKIP_ACTIONS = ("/logout", "/login")


class Forms(HTMLParser):
    """POST forms of a page: action and the fields to send (text fields get the probe)."""

    def __init__(self, probe: str):
        super().__init__()
        self.probe = probe
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._current: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._current = {"action": a.get("action") or "", "fields": {}}
        if self._current is None:
            return
        fields = self._current["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("text", "search", "email", "url", "tel", ""):
                fields[name] = self.probe
            elif kind in ("hidden", "number", "date", "datetime-local"):
                fields.setdefault(name, a.get("value") or "")
            elif kind in ("checkbox", "radio") and name not in fields:
                fields[name] = a.get("value") or "on"
        elif tag == "textarea" and name:
            fields[name] = self.probe
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and self._select not in fields:
            fields[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "form" and self._current is not None:
            self.forms.append((self._current["action"], self._current["fields"]))
            self._current = None


def _pages(app, ids: dict) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static", "/readyz")):
            continue
        url = rule.rule
        for name in rule.arguments:
            if name not in ids:
                break
            url = url.replace(f"<int:{name}>", str(ids[name])).replace(f"<{name}>", str(ids[name]))
        else:
            urls.append(url)
    return sorted(set(urls))


def test_xss_probes_in_every_text_field_are_shown_escaped(app, client, make_user, make_enterprise,
                                                          api_token, login):
    app.config["ERFLOW_FORMS_DIR"] = str(FORMS)
    engine.deploy({DIAGRAM.name: DIAGRAM.read_text("utf-8")}, actor_id=None)
    admin = make_user(roles=["admin", "handler", "reviewer", "approver"], region_code=None,
                      display_name=PROBES[1])
    reviewer = make_user(roles=["reviewer", "handler"], region_code="330106",
                         display_name=PROBES[0])
    ent = make_enterprise(name=f"单位{PROBES[0]}", region_code="330106")
    admin_api, reviewer_api = api_token(admin), api_token(reviewer)

    # API text fields: instance data (its summary is shown), the task opinion (history)
    info = engine.start("fault_task", {"tag": "ok", "note": PROBES[0], "title": PROBES[1]},
                        actor_id=reviewer.id, handling_region="330106", enterprise_id=ent.id,
                        business_key=PROBES[1][:40])
    other = engine.start("fault_task", {"tag": "ok"}, actor_id=reviewer.id,
                         handling_region="330106")
    db.session.commit()
    done = client.post(f"/api/v1/tasks/{info.active_tasks[0].id}/complete",
                       headers=reviewer_api, json={"data": {"opinion": PROBES[1]}})
    assert done.status_code == 200, done.json
    client.patch(f"/api/v1/admin/users/{reviewer.id}", headers=admin_api,
                 json={"display_name": PROBES[1]})

    ids = {"instance_id": info.id, "task_id": other.active_tasks[0].id, "enterprise_id": ent.id,
           "user_id": reviewer.id, "key": "fault_task", "notice_id": 1, "notification_id": 1}
    login(client, admin)
    pages = _pages(app, ids)
    # every text field of every page form, with each probe
    submitted = 0
    for probe in PROBES:
        for page in pages:
            resp = client.get(page)
            assert resp.status_code < 500, (page, resp.status_code)
            if resp.mimetype != "text/html":
                continue
            parser = Forms(probe)
            parser.feed(resp.get_data(as_text=True))
            for action, fields in parser.forms:
                target = urljoin(page, action) if action else page
                if target.endswith(SKIP_ACTIONS):
                    continue
                answer = client.post(target, data=fields)
                assert answer.status_code < 500, (target, answer.status_code)
                submitted += 1
    assert submitted >= 10

    shown_escaped = 0
    for user in (admin, reviewer):
        login(client, user)
        for page in pages:
            body = client.get(page).get_data(as_text=True)
            for raw in RAW:
                assert raw not in body, f"unescaped {raw!r} on {page} for {user.username}"
            shown_escaped += body.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert shown_escaped > 0  # the probes were shown (escaped), not just dropped
