"""Our deploy checks beyond the parser: each refusal names the element, nothing is stored, and the
running version keeps serving."""

from __future__ import annotations

import pytest

from app import engine
from app.engine import DeployError
from tests.engine.conftest import fixture_text, open_task

FILL_FORM = '<spiffworkflow:property name="formJsonSchemaFilename" value="simple.schema.json" />'


def _refused(text: str) -> DeployError:
    with pytest.raises(DeployError) as caught:
        engine.deploy({"simple.bpmn": text}, actor_id=1)
    return caught.value


def test_user_task_without_form_is_refused_with_its_element(deploy_fixture):
    deploy_fixture("simple.bpmn")
    running = engine.start("simple", {}, actor_id=1, handling_region="330106")
    err = _refused(fixture_text("simple.bpmn").replace(FILL_FORM, ""))
    assert err.element_id == "fill" and "表单" in err.reason
    assert engine.version_list("simple")[0].version == 1  # nothing stored
    assert engine.get_instance(running.id).version == 1
    assert open_task(engine.get_instance(running.id), "fill")


def test_form_that_does_not_exist_is_refused(deploy_fixture):
    err = _refused(fixture_text("simple.bpmn").replace("simple.schema.json", "nope.schema.json"))
    assert err.element_id == "fill"


def test_form_saved_in_the_database_counts(deploy_fixture):
    engine.save_form_file(filename="extra.schema.json", content={"type": "object"},
                          author_id=1, comment=None)
    text = fixture_text("simple.bpmn").replace("simple.schema.json", "extra.schema.json")
    assert engine.deploy({"simple.bpmn": text}, actor_id=1)[0].version == 1


def test_dead_end_without_path_to_an_end_event_is_refused(deploy_fixture):
    text = fixture_text("simple.bpmn").replace(
        '<bpmn:sequenceFlow id="f4" sourceRef="approve" targetRef="end" />', ""
    ).replace("<bpmn:outgoing>f4</bpmn:outgoing>", "").replace(
        "<bpmn:incoming>f4</bpmn:incoming>", ""
    )
    err = _refused(text)
    assert err.element_id == "approve" and "结束事件" in err.reason


def test_timer_expression_that_cannot_give_a_date_is_refused(deploy_fixture):
    text = fixture_text("window.bpmn")
    engine.deploy({"window.bpmn": text}, actor_id=1)  # the fixture itself passes
    import re

    bad = re.sub(r"(<bpmn:timeDate[^>]*>)[^<]*(</bpmn:timeDate>)", r"\1'next tuesday'\2", text,
                 count=1)
    with pytest.raises(DeployError) as caught:
        engine.deploy({"window.bpmn": bad}, actor_id=1)
    assert caught.value.element_id and "定时器" in caught.value.reason
    misspelt = re.sub(r"(<bpmn:timeDate[^>]*>)[^<]*(</bpmn:timeDate>)",
                      r"\1working_dayz_after(now(), 3)\2", text, count=1)
    with pytest.raises(DeployError):
        engine.deploy({"window.bpmn": misspelt}, actor_id=1)


def test_timer_with_working_day_helper_evaluates_in_a_dry_run(deploy_fixture):
    import re

    text = re.sub(r"(<bpmn:timeDate[^>]*>)[^<]*(</bpmn:timeDate>)",
                  r"\1working_days_after(now(), 10)\2", fixture_text("window.bpmn"), count=1)
    assert engine.deploy({"window.bpmn": text}, actor_id=1)[0].changed


def test_unknown_called_process_and_decision_are_refused_with_the_element(deploy_fixture):
    call = ('<bpmn:callActivity id="call_x" calledElement="missing_process">'
            "<bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>"
            "</bpmn:callActivity>")
    text = fixture_text("simple.bpmn")
    start = text.index('<bpmn:userTask id="approve"')
    end = text.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    err = _refused(text[:start] + call + text[end:].replace('targetRef="approve"', ""))
    assert err.element_id == "call_x" and "missing_process" in err.reason
    rule = ('<bpmn:businessRuleTask id="decide"><bpmn:extensionElements>'
            "<spiffworkflow:calledDecisionId>no_table</spiffworkflow:calledDecisionId>"
            "</bpmn:extensionElements><bpmn:incoming>f3</bpmn:incoming>"
            "<bpmn:outgoing>f4</bpmn:outgoing></bpmn:businessRuleTask>")
    err = _refused(text[:start] + rule + text[end:])
    assert err.element_id == "decide" and "no_table" in err.reason


def test_validate_process_runs_every_check_and_stores_nothing(deploy_fixture):
    deploy_fixture("simple.bpmn")
    info = engine.validate_process("simple", fixture_text("simple.bpmn").replace("审批", "终审"))
    assert (info.version, info.changed) == (2, True)
    assert [v.version for v in engine.version_list("simple")] == [1]
