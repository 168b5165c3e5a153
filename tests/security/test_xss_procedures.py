"""XSS probes through the real procedures and the enterprise-only forms, shown escaped (never raw)
on the pages that show them: task and instance pages, inboxes, print pages (contract, certificate,
decision, fee notice), the enterprise portal and the public pages.

On the demo data (`seed-demo`, bpmn/ deployed): a unit files a trade through the guided start form
(the trade's text fields), the trade is taken to its certificate through the task pages (each
step's text fields); a unit files an objection through the objection form and the bureau decides
it on the task page; a party files a mediation request through the mediation form; then every
other form with text inputs on the pages the units open (lease, buyback and trade start forms,
bids, …) gets probes too, found generically. Every text input gets its own numbered probe. Then
every page, for the parties, bureau users, an
administrator and an anonymous visitor, is read with the ids of those objects."""
from __future__ import annotations

import json
from urllib.parse import urljoin

import pytest
from sqlalchemy import select

from app import engine
from app.auth.models import User
from app.config import ROOT
from app.engine.models import HumanTask, ProcessInstance
from app.extensions import db
from app.ledger.models import FeeNotice
from app.trading.models import Certificate
from tests.security.xss import (
    TEXT_INPUTS,
    constrained,
    fill,
    page_forms,
    probe,
    raw_probes,
    seen,
    text_fields,
)

FORMS = ROOT / "forms"
# Kept in the trade's data for the bureau's records, shown on no page (so never raw either).
NOT_DISPLAYED = {"trade/confirm_settlement: settlement_reference",
                 "trade/permit_change: permit_change_no"}
PIECES_OF_PAGES = ("/api/", "/static", "/readyz", "/healthz", "/logout", ".pdf", "/bpmn", ".bpmn",
                   "/diagram", "/xml")


class Probes:
    """Numbered probes with what each was typed into; which were kept and which refused."""

    def __init__(self):
        self.label: dict[int, str] = {}
        self.kept: set[int] = set()
        self.refused_shown: set[int] = set()
        self.refused: set[int] = set()

    def new(self, label: str, max_length: int | None = None) -> tuple[int, str]:
        n = 5000 + len(self.label)
        self.label[n] = label
        return n, probe(n, max_length)


@pytest.fixture
def demo(app):
    from app.seed import seed_demo

    app.config["ERFLOW_PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"
    engine.deploy_dir(ROOT / "bpmn", actor_id=None)
    seed_demo()
    db.session.commit()
    return {u.username: u for u in db.session.scalars(select(User))}


def _submit(client, probes: Probes, url: str, form_id_or_action: str, label: str,
            fields: dict[str, dict], valid: dict[str, str | None] | None = None,
            only: set[str] | None = None):
    """Fill the page's form: a probe in every text input (those in `valid` get that value on
    the second try, after the first was refused; with `only`, just those inputs get probes and
    the others keep what the page shows), post it, check the answers."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    form = next(f for f in page_forms(page.get_data(as_text=True))
                if f["id"] == form_id_or_action or f["action"].endswith(form_id_or_action)
                or (not f["action"] and form_id_or_action == url))
    numbers: dict[str, int] = {}
    valid = valid or {}

    def text(name, second=False):
        if only is not None and name not in only:
            return form["current"].get(name)
        sub = fields.get(name, {})
        if second and (name in valid or constrained(sub)):
            return valid.get(name, "1")
        if name not in numbers:
            numbers[name], _ = probes.new(f"{label}: {name}")
        return probe(numbers[name], sub.get("maxLength"))

    action = form["action"] or url

    def values(second=False):
        data = fill(form, lambda name: text(name, second))
        if only is not None:  # the rest as the page shows it
            data = {**{k: v for k, v in form["current"].items() if v is not None}, **{
                k: v for k, v in data.items() if k in only or form["inputs"][k][0] == "hidden"}}
        return data

    answer = client.post(action, data=values())
    body = answer.get_data(as_text=True)
    assert not raw_probes(body), f"unescaped probe on the answer to {label}"
    if answer.status_code >= 400:  # refused: the page shows the input again
        probes.refused_shown |= seen(body)
        answer = client.post(action, data=values(second=True))
        assert not raw_probes(answer.get_data(as_text=True)), label
        second = values(second=True)
        probes.refused |= {n for name, n in numbers.items() if second.get(name) != probe(
            n, fields.get(name, {}).get("maxLength"))}
    assert answer.status_code == 302, (label, answer.status_code,
                                       answer.get_data(as_text=True)[:1500])
    probes.kept |= set(numbers.values()) - probes.refused
    return answer


def _worker(task: HumanTask, users: dict[str, User], make_user) -> User:
    """Who completes `task`: the unit's user, or a bureau user of its role and region."""
    if task.role == "enterprise":
        return next(u for u in users.values() if u.enterprise_id == task.enterprise_id)
    for user in users.values():
        if user.region_code == task.region_code and task.role in user.roles:
            return user
    user = make_user(roles=[task.role], region_code=task.region_code)
    users[user.username] = user
    return user


def _drive(client, login, probes, users, make_user, instance_ids: set[int]) -> list[str]:
    """Complete the open tasks of `instance_ids` on their task pages until none is left."""
    done: list[str] = []
    for _ in range(20):
        db.session.expire_all()
        tasks = db.session.scalars(select(HumanTask).where(
            HumanTask.instance_id.in_(instance_ids), HumanTask.state == "open",
            HumanTask.id.not_in(done))).all()
        if not tasks:
            return done
        for task in tasks:
            login(client, _worker(task, users, make_user))
            schema = json.loads((FORMS / f"{task.form_key}.schema.json").read_text("utf-8"))
            _submit(client, probes, f"/inbox/tasks/{task.id}", f"/inbox/tasks/{task.id}",
                    f"{task.process_key}/{task.name}", text_fields(schema))
            done.append(task.id)
    raise AssertionError(f"instances {instance_ids} still have open tasks")


def _urls(app, ids: dict[str, list]) -> list[str]:
    """Every HTML page (GET) with each id of the objects the probes went into."""
    urls: set[str] = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or any(p in rule.rule for p in PIECES_OF_PAGES):
            continue
        variants = [rule.rule]
        for name in set(rule.arguments) - set(rule.defaults or {}):
            if name not in ids:
                variants = []
                break
            variants = [v.replace(f"<int:{name}>", str(i)).replace(f"<{name}>", str(i))
                        for v in variants for i in ids[name]]
        urls.update(variants)
    return sorted(urls)


def _probe_every_form(client, probes: Probes, urls: list[str]) -> set[str]:
    """Every POST form with text inputs on the pages the signed-in user opens gets a probe in
    each of them (whatever the form: new ones are covered without a change here); the answer,
    accepted or refused, must not show it raw. Returns the forms found (action → inputs)."""
    found: set[str] = set()
    for url in urls:
        resp = client.get(url)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        for form in page_forms(resp.get_data(as_text=True)):
            action = urljoin(url, form["action"]) if form["action"] else url
            texts = [n for n, (kind, _) in form["inputs"].items() if kind in TEXT_INPUTS]
            if not texts or action.endswith(("/logout", "/login")):
                continue
            numbers = {n: probes.new(f"{action}: {n}")[0] for n in texts}
            answer = client.post(action, data=fill(
                form, lambda n, numbers=numbers: probe(numbers[n]) if n in numbers else None))
            body = answer.get_data(as_text=True)
            assert answer.status_code < 500, (action, answer.status_code)
            assert not raw_probes(body), f"unescaped probe on the answer to {action}"
            if answer.status_code >= 400:
                probes.refused_shown |= seen(body)
            found.add(f"{action.split('?')[0]}: {', '.join(sorted(texts))}")
    return found


def test_probes_in_real_procedures_show_escaped_everywhere(app, client, login, demo, make_user):
    users, probes = demo, Probes()
    before = set(db.session.scalars(select(ProcessInstance.id)))

    # the buying unit's name through the administrators' enterprise form (shown on the contract,
    # the certificate and the public register)
    unit_id = users["changan_steel"].enterprise_id
    login(client, users["admin"])
    _submit(client, probes, f"/admin/enterprises/{unit_id}/edit",
            f"/admin/enterprises/{unit_id}/edit", "enterprise", {"name": {"maxLength": 200}},
            only={"name"})

    # a trade through the unit's guided start form (R29: 0.5 t from the 长安区 reserve)
    login(client, users["changan_steel"])
    start_fields = text_fields(json.loads((FORMS / "trade_start.schema.json").read_text("utf-8")))
    answer = _submit(client, probes, "/inbox/start/trade", "start-form", "trade start",
                     start_fields, valid={
                         "seller": "reserve:130102", "amounts.SO2": "0.5000",
                         "price_per_tonne": "5000.00", "project.substitution.SO2": "0.5000",
                         **{f"{p}{x}": None for p in ("amounts.", "project.substitution.")
                            for x in ("COD", "NH3-N", "NOx", "VOCs", "TP")}})
    trade_id = int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    # an objection through the unit's objection form, during xixi_power's publication (R12)
    login(client, users["xixi_power"])
    allocation_id = db.session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.key == "allocation", ProcessInstance.status == "running",
        ProcessInstance.enterprise_id == users["xixi_power"].enterprise_id))
    _submit(client, probes, f"/allocation/instances/{allocation_id}/objection",
            f"/allocation/instances/{allocation_id}/objection", "objection", {"reason": {}})

    # a mediation request through the party's mediation form (R25), on the demo's auction
    login(client, users["zhijiang_chem"])
    auction_id = db.session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.key == "trade", ProcessInstance.status == "running",
        ProcessInstance.enterprise_id == users["zhijiang_chem"].enterprise_id,
        ProcessInstance.id.in_(before)).order_by(ProcessInstance.id))
    _submit(client, probes, f"/trading/trades/{auction_id}/mediation", "mediation-form",
            "mediation", {"reason": {}})

    # every step of the new trade, the objection review and whatever the mediation started
    db.session.expire_all()
    new = set(db.session.scalars(select(ProcessInstance.id))) - before
    driven = {trade_id, allocation_id, *new}
    tasks = _drive(client, login, probes, users, make_user, driven)
    db.session.expire_all()
    assert db.session.get(ProcessInstance, trade_id).status == "completed"
    certificate = db.session.scalar(select(Certificate.number).where(
        Certificate.instance_id == trade_id))
    assert certificate

    ids = {"instance_id": sorted(driven | {auction_id}),
           "task_id": tasks + list(db.session.scalars(select(HumanTask.id).where(
               HumanTask.instance_id.in_(driven | {auction_id})))),
           "notice_id": list(db.session.scalars(select(FeeNotice.id))),
           "enterprise_id": sorted({users[u].enterprise_id for u in (
               "changan_steel", "xixi_power", "zhijiang_chem")}),
           "region_code": ["130102", "330100", "330106"],
           "key": ["trade", "allocation", "lease", "buyback", "recovery"]}
    urls = _urls(app, ids) + [f"/public/certificates?number={certificate}",
                              f"/public/trades?q={certificate}"]
    # every other form the units' pages offer (trade start, bids, mediation, …), generically
    unit_forms: set[str] = set()
    for name in ("changan_steel", "xixi_power", "zhijiang_chem"):
        login(client, users[name])
        unit_forms |= _probe_every_form(client, probes, urls)
    assert any("/inbox/start/trade" in f for f in unit_forms), unit_forms
    assert any("/mediation" in f for f in unit_forms), unit_forms

    readers = [users[u] for u in ("changan_steel", "xixi_power", "zhijiang_chem", "admin",
                                  "xihu_reviewer", "hangzhou_reviewer", "changan_reviewer")]
    readers += [u for u in users.values() if u.username.startswith("user")]  # made for steps
    shown_on: dict[str, set[int]] = {}
    for reader in [None, *readers]:
        if reader is None:
            client.get("/logout")
        else:
            login(client, reader)
        for url in urls:
            resp = client.get(url)
            assert resp.status_code < 500, (url, resp.status_code)
            if resp.status_code != 200 or resp.mimetype != "text/html":
                continue
            body = resp.get_data(as_text=True)
            assert not raw_probes(body), (
                f"unescaped probe on {url} for {reader.username if reader else 'anonymous'}")
            shown_on.setdefault(url, set()).update(seen(body))

    shown = set().union(*shown_on.values())
    missing = sorted(probes.label[n] for n in probes.kept - shown
                     if probes.label[n] not in NOT_DISPLAYED)
    assert not missing, f"probes kept but shown on no page: {missing}"
    not_again = sorted(probes.label[n] for n in probes.refused - probes.refused_shown)
    assert not not_again, f"refused probes not shown again: {not_again}"

    expected = {  # where each probe must show (escaped): print, public and portal pages
        f"/trading/trades/{trade_id}/contract": {"trade start: project.name", "enterprise: name"},
        f"/trading/trades/{trade_id}/certificate": {"enterprise: name"},
        f"/public/certificates?number={certificate}": {"enterprise: name"},
        "/public/trades": {"enterprise: name"},
        f"/inbox/instances/{trade_id}": {"trade start: project.name",
                                          "trade/sign_contract: opinion"},
        f"/inbox/instances/{allocation_id}": {"objection: reason"},
        f"/documents/decisions/{allocation_id}": {"allocation/review_objection: opinion"},
        f"/trading/trades/{auction_id}/mediation": {"mediation: reason"},
    }
    absent = {url: sorted(labels - {probes.label[n] for n in shown_on.get(url, set())})
              for url, labels in expected.items()}
    assert not any(absent.values()), f"probes not shown where expected: {absent}"
