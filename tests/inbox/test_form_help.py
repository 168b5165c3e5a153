"""Guided forms: every field of every form in forms/ carries plain help (`ui:help`), the rendered
input names it with aria-describedby, start pages show what happens next, and English pages show the
forms' English words."""
from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from tests.inbox.conftest import ROOT

FORMS = ROOT / "forms"
SCHEMAS = sorted(FORMS.glob("*.schema.json"))


def _missing_help(schema: dict, ui: dict, prefix: str = "") -> list[str]:
    missing = []
    for key, sub in (schema.get("properties") or {}).items():
        hints = ui.get(key) or {}
        if hints.get("ui:widget") == "hidden":
            continue
        if not str(hints.get("ui:help") or "").strip():
            missing.append(prefix + key)
        missing += _missing_help(sub or {}, hints, prefix=f"{prefix}{key}.")
    return missing


@pytest.mark.parametrize("path", SCHEMAS, ids=[p.name.split(".")[0] for p in SCHEMAS])
def test_every_field_of_every_form_has_help(path):
    """Each field (nested ones too) says what to enter: `ui:help` in forms/<key>.ui.json."""
    ui_path = path.with_name(path.name.replace(".schema.json", ".ui.json"))
    assert ui_path.is_file(), f"{ui_path.name} is missing"
    missing = _missing_help(json.loads(path.read_text(encoding="utf-8")),
                            json.loads(ui_path.read_text(encoding="utf-8")))
    assert not missing, f"{ui_path.name}: add \"ui:help\" for {missing}"


class _Controls(HTMLParser):
    """Inputs, selects and textareas (with their attributes) and the text of every element id."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.labels: set[str] = set()
        self.text_by_id: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.controls.append(attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag not in ("input", "br", "meta", "link", "img"):
            self._open.append(attrs.get("id"))
            if attrs.get("id"):
                self.text_by_id.setdefault(attrs["id"], "")

    def handle_endtag(self, tag):
        if tag not in ("input", "br", "meta", "link", "img") and self._open:
            self._open.pop()

    def handle_data(self, data):
        for element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data


def _parse(html: str) -> _Controls:
    parser = _Controls()
    parser.feed(html)
    return parser


def test_lease_start_form_ties_help_to_each_input(client, login, make_user, deployed):
    login(client, make_user(roles=["enterprise"]))
    html = client.get("/inbox/start/lease").get_data(as_text=True)
    page = _parse(html)
    fields = [c for c in page.controls if c.get("name") != "csrf_token"]
    assert {c["name"] for c in fields} >= {"lessee", "amounts.COD", "starts_on", "ends_on"}
    for control in fields:
        assert control["id"] in page.labels, f"{control['name']} has no <label for>"
        described = control.get("aria-describedby", "").split()
        assert f"{control['id']}-help" in described, f"{control['name']} names no help"
        assert page.text_by_id[f"{control['id']}-help"].strip()
    assert "单位：吨，最多保留四位小数，如 0.5000" in page.text_by_id["f-amounts-COD-help"]


def test_trade_start_is_a_guided_form(client, login, make_user, deployed):
    """The buyer's start page: steps 认定 → 主体审核 → 合同 → 10个工作日内结算 → 电子凭证,
    the papers to have at hand, and a field form (not JSON) whose every input names its help."""
    login(client, make_user(roles=["enterprise"]))
    html = client.get("/inbox/start/trade").get_data(as_text=True)
    assert 'data-testid="start-guide"' in html
    steps = ["认定", "主体审核", "签订合同", "10个工作日内完成资金结算", "电子凭证"]
    guide = html[html.index('data-testid="start-guide"'):html.index('id="start-form"')]
    positions = [guide.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "请准备以下材料" in guide and "环评批复" in guide
    page = _parse(html)
    names = {c.get("name") for c in page.controls}
    assert {"seller", "amounts.COD", "method", "price_per_tonne", "project.name",
            "project.substitution.COD", "project.major"} <= names
    assert "data_json" not in names
    for control in page.controls:
        assert f"{control['id']}-help" in control.get("aria-describedby", "").split()


def test_trade_start_form_keeps_input_and_marks_errors(client, login, make_user, deployed):
    from tests.inbox.test_pages import csrf

    login(client, make_user(roles=["enterprise"]))
    token = csrf(client.get("/inbox/start/trade").get_data(as_text=True))
    resp = client.post("/inbox/start/trade", data={
        "csrf_token": token, "seller": "", "amounts.COD": "0.5000", "price_per_tonne": "5000.00"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'id="f-seller-error"' in html
    assert 'aria-describedby="f-seller-help f-seller-error"' in html
    assert 'value="0.5000"' in html


def test_forms_speak_english_on_english_pages(client, login, make_user, deployed):
    login(client, make_user(roles=["enterprise"]))
    html = client.get("/inbox/start/lease?lang=en").get_data(as_text=True)
    assert "Lessee (enterprise number)" in html and "承租方（企业编号）" not in html
    assert "Tonnes, at most four decimals, e.g. 0.5000" in html
    assert "What happens after you submit" in html
    html = client.get("/inbox/start/lease?lang=zh_CN").get_data(as_text=True)
    assert "承租方（企业编号）" in html and "提交后的办理流程" in html
