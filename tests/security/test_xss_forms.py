"""Every text field of every real form in forms/*.schema.json takes an XSS probe through the real
task page and shows it escaped, never raw, on every page that shows it.

A generated diagram has one user task per form file (the forms themselves are the real ones, with
their UI hints). Each task page is filled like a person would: a numbered probe in every text
input, the first choice elsewhere. A field with a pattern refuses the probe and shows the page
again with the input kept (checked there); the task is then completed with a valid value in that
field and the probes in the others, and the instance page is read at once (forms share data keys,
so a later form overwrites an earlier one's). At the end the task pages, the instance page, the
inbox, the decision print page and the applicant's pages are rendered for the bureau user, an
administrator and the applicant unit. The test fails on a field the page did not offer (listing
it) and on an accepted probe no page showed (the check would prove nothing for it)."""
from __future__ import annotations

import json

from sqlalchemy import select

from app import engine
from app.config import ROOT
from app.engine.models import HumanTask
from app.extensions import db
from tests.security.xss import (
    constrained,
    fill,
    page_forms,
    probe,
    raw_probes,
    seen,
    text_fields,
)

FORMS = ROOT / "forms"
REGION = "330106"


def _form_keys() -> list[str]:
    return sorted(p.name.removesuffix(".schema.json") for p in FORMS.glob("*.schema.json"))


def _harness(keys: list[str]) -> str:
    """One reviewer task per form, in a row (start → t0 → t1 … → end)."""
    tasks, flows = [], []
    for i, key in enumerate(keys):
        ui = (f'<spiffworkflow:property name="formUiSchemaFilename" value="{key}.ui.json" />'
              if (FORMS / f"{key}.ui.json").exists() else "")
        tasks.append(
            f'<bpmn:userTask id="t{i}" name="{key}"><bpmn:extensionElements>'
            f'<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
            f'value="{key}.schema.json" />{ui}</spiffworkflow:properties>'
            f'</bpmn:extensionElements><bpmn:incoming>f{i}</bpmn:incoming>'
            f'<bpmn:outgoing>f{i + 1}</bpmn:outgoing></bpmn:userTask>')
    nodes = ["start", *(f"t{i}" for i in range(len(keys))), "end"]
    for i in range(len(keys) + 1):
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{nodes[i]}" '
                     f'targetRef="{nodes[i + 1]}" />')
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_xss_forms" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collab_xss_forms">
    <bpmn:participant id="Participant_xss_forms" processRef="xss_forms" />
  </bpmn:collaboration>
  <bpmn:process id="xss_forms" name="XSS：全部表单" isExecutable="true">
    <bpmn:laneSet id="LaneSet_xss_forms"><bpmn:lane id="Lane_reviewer" name="reviewer">{refs}
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    {''.join(tasks)}
    <bpmn:endEvent id="end"><bpmn:incoming>f{len(keys)}</bpmn:incoming></bpmn:endEvent>
    {''.join(flows)}
  </bpmn:process>
</bpmn:definitions>"""


def test_the_probe_helpers_tell_raw_from_escaped():
    from markupsafe import escape

    for n, limit in ((7, None), (17, 40)):
        text = probe(n, limit)
        assert limit is None or len(text) <= limit
        assert raw_probes(f"<p>{text}</p>") and not raw_probes(f"<p>{escape(text)}</p>")
        assert seen(f'<input value="{escape(text)}">') == {n}


def test_every_text_field_of_every_real_form_is_shown_escaped(app, client, make_user,
                                                               make_enterprise, login):
    keys = _form_keys()
    assert len(keys) >= 20
    engine.deploy({"xss_forms.bpmn": _harness(keys)}, actor_id=None)
    unit = make_enterprise(region_code=REGION)
    applicant = make_user(roles=["enterprise"], enterprise=unit)
    reviewer = make_user(roles=["reviewer"], region_code=REGION)
    admin = make_user(roles=["admin"], region_code=None)
    info = engine.start("xss_forms", {}, actor_id=reviewer.id, handling_region=REGION,
                        enterprise_id=unit.id)
    db.session.commit()
    login(client, reviewer)

    numbers: dict[tuple[str, str], int] = {}  # (form, field) → probe number
    stored: set[int] = set()  # probes a completed task kept (must show on the pages after)
    shown_when_refused: set[int] = set()
    unreached: list[str] = []
    done: list[str] = []
    shown_after_each: set[int] = set()
    for i, key in enumerate(keys):
        task_id = db.session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == info.id, HumanTask.state == "open"))
        assert task_id is not None, f"no open task for form {key}"
        page = client.get(f"/inbox/tasks/{task_id}")
        assert page.status_code == 200, (key, page.status_code)
        form = next((f for f in page_forms(page.get_data(as_text=True))
                     if f["action"].endswith(f"/inbox/tasks/{task_id}")), None)
        assert form is not None, f"task page of {key} has no form"
        fields = text_fields(json.loads((FORMS / f"{key}.schema.json").read_text("utf-8")))
        for name in fields:
            if name not in form["inputs"]:
                unreached.append(f"{key}: {name}")
            numbers[(key, name)] = 1000 + 100 * i + list(fields).index(name)

        def text(name, refuse_constrained=False, key=key, fields=fields, i=i):
            sub = fields.get(name)
            if sub is None:  # an input the schema does not call text (e.g. the opinion box)
                return probe(9000 + i)
            if refuse_constrained and constrained(sub):
                return "1"
            return probe(numbers[(key, name)], sub.get("maxLength"))

        answer = client.post(form["action"], data=fill(form, text))
        body = answer.get_data(as_text=True)
        assert not raw_probes(body), f"unescaped probe on the answer to {key}"
        if answer.status_code == 422:  # a pattern refused its probe: the input is shown again
            shown_when_refused |= seen(body)
            answer = client.post(form["action"], data=fill(
                form, lambda name: text(name, refuse_constrained=True)))
            assert not raw_probes(answer.get_data(as_text=True)), key
        assert answer.status_code == 302, (key, answer.status_code,
                                           answer.get_data(as_text=True)[:2000])
        stored |= {numbers[(key, n)] for n, sub in fields.items()
                   if n in form["inputs"] and not constrained(sub)}
        done.append(task_id)
        # the instance page now, before a later form overwrites the same data key
        body = client.get(f"/inbox/instances/{info.id}").get_data(as_text=True)
        assert not raw_probes(body), f"unescaped probe on the instance page after {key}"
        shown_after_each |= seen(body)
    assert not unreached, f"text fields the task pages do not offer: {unreached}"

    pages = [f"/inbox/tasks/{t}" for t in done] + [
        f"/inbox/instances/{info.id}", "/inbox?view=done", "/inbox?view=todo",
        f"/documents/decisions/{info.id}", "/notifications"]
    applicant_pages = ["/my/applications", f"/documents/decisions/{info.id}", "/notifications"]
    shown = set(shown_after_each)
    for user, urls in ((reviewer, pages), (admin, pages), (applicant, applicant_pages)):
        login(client, user)
        for url in urls:
            resp = client.get(url)
            assert resp.status_code == 200, (user.username, url, resp.status_code)
            body = resp.get_data(as_text=True)
            assert not raw_probes(body), f"unescaped probe on {url} for {user.username}"
            shown |= seen(body)
    refused = {n for (key, name), n in numbers.items() if n not in stored}
    missing = sorted(f"{key}: {name}" for (key, name), n in numbers.items()
                     if n in stored and n not in shown)
    assert not missing, f"probes accepted but shown on no page (dropped?): {missing}"
    not_kept = sorted(f"{key}: {name}" for (key, name), n in numbers.items()
                      if n in refused and n not in shown_when_refused)
    assert not not_kept, f"refused probes not shown again with their error: {not_kept}"
    assert len(numbers) >= 60 and len(stored) >= 30 and refused  # the run probed what it claims
