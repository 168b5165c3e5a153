"""Deploying diagrams: versions by content hash, pinning, and refusals that say file, line and
why."""

from __future__ import annotations

import pytest

from app import engine
from app.engine import DeployError
from app.extensions import db
from tests.engine.conftest import fixture_text, open_task


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _deploy_text(text: str, name: str = "simple.bpmn"):
    return engine.deploy({name: text}, actor_id=1)


def test_deploy_stores_a_version_only_when_content_changes(deploy_fixture):
    first = deploy_fixture("simple.bpmn")
    again = deploy_fixture("simple.bpmn")
    assert [(v.key, v.version, v.changed) for v in first] == [("simple", 1, True)]
    assert [(v.key, v.version, v.changed) for v in again] == [("simple", 1, False)]
    changed = _deploy_text(fixture_text("simple.bpmn").replace("简单流程", "简单流程（修订）"))
    assert [(v.version, v.changed, v.name) for v in changed] == [(2, True, "简单流程（修订）")]


def test_running_instance_stays_pinned_to_its_version(deploy_fixture):
    deploy_fixture("simple.bpmn")
    old = engine.start("simple", {}, actor_id=1, handling_region="330106")
    _deploy_text(fixture_text("simple.bpmn").replace('name="审批"', 'name="新审批"'))
    new = engine.start("simple", {}, actor_id=1, handling_region="330106")
    assert (old.version, new.version) == (1, 2)
    inst = engine.complete(open_task(old, "fill").id, {"amount": "1"}, actor_id=1)
    assert inst.version == 1 and open_task(inst, "approve").title == "审批"
    inst = engine.complete(open_task(new, "fill").id, {"amount": "1"}, actor_id=1)
    assert open_task(inst, "approve").title == "新审批"


def test_malformed_xml_is_refused_with_its_line_and_old_version_keeps_running(deploy_fixture):
    deploy_fixture("simple.bpmn")
    running = engine.start("simple", {}, actor_id=1, handling_region="330106")
    db.session.commit()
    broken = fixture_text("simple.bpmn").replace(
        '<bpmn:endEvent id="end">', '<bpmn:endEvent id="end"'
    )
    with pytest.raises(DeployError) as err:
        _deploy_text(broken)
    assert err.value.status == 422
    line = line_of(broken, '<bpmn:endEvent id="end"')
    assert err.value.file == "simple.bpmn" and err.value.line == line
    assert err.value.fields["line"] == [str(line)] and "simple.bpmn" in err.value.message
    db.session.rollback()
    inst = engine.complete(open_task(running, "fill").id, {"amount": "2"}, actor_id=1)
    assert inst.version == 1 and inst.status == "running"


def test_schema_invalid_bpmn_is_refused_with_line(deploy_fixture):
    text = fixture_text("simple.bpmn").replace(
        '<bpmn:userTask id="approve" name="审批">', '<bpmn:userTask id="approve" nonsense="1">'
    )
    with pytest.raises(DeployError) as err:
        _deploy_text(text)
    assert err.value.line == line_of(text, 'nonsense="1"')
    assert "nonsense" in err.value.reason


def test_script_that_does_not_compile_is_refused_with_element_and_line(deploy_fixture):
    text = fixture_text("simple.bpmn").replace("check(doubled)", "check(doubled")
    with pytest.raises(DeployError) as err:
        _deploy_text(text)
    assert err.value.element_id == "compute"
    assert err.value.line == line_of(text, "check(doubled")


def test_unknown_called_process_is_refused(deploy_fixture):
    text = (
        fixture_text("simple.bpmn")
        .replace(
            '<bpmn:scriptTask id="compute" name="计算">',
            '<bpmn:callActivity id="compute" calledElement="nowhere">',
        )
        .replace("</bpmn:scriptTask>", "</bpmn:callActivity>")
        .replace(
            "<bpmn:script>doubled = str(Decimal(amount) * 2)\ncheck(doubled)</bpmn:script>", ""
        )
    )
    with pytest.raises(DeployError) as err:
        _deploy_text(text)
    assert "nowhere" in err.value.reason and err.value.line == line_of(text, "calledElement=")


def test_user_task_lane_must_be_a_known_role(deploy_fixture):
    text = fixture_text("simple.bpmn").replace('name="handler"', 'name="clerk"')
    with pytest.raises(DeployError) as err:
        _deploy_text(text)
    assert err.value.element_id == "fill" and "clerk" in err.value.reason


def test_user_task_form_file_must_exist(deploy_fixture):
    text = fixture_text("simple.bpmn").replace("simple.schema.json", "missing.schema.json")
    with pytest.raises(DeployError) as err:
        _deploy_text(text)
    assert err.value.element_id == "fill" and "missing.schema.json" in err.value.reason


def test_form_file_name_cannot_leave_the_forms_folder(deploy_fixture):
    text = fixture_text("simple.bpmn").replace("simple.schema.json", "../forms/simple.schema.json")
    with pytest.raises(DeployError):
        _deploy_text(text)


def test_xml_bomb_is_refused_before_the_engine_sees_it(deploy_fixture):
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;'
        "</bpmn:definitions>"
    )
    with pytest.raises(DeployError) as err:
        _deploy_text(bomb, "bomb.bpmn")
    assert err.value.line == 2


def test_external_entity_is_refused(deploy_fixture):
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;'
        "</bpmn:definitions>"
    )
    with pytest.raises(DeployError):
        _deploy_text(xxe, "xxe.bpmn")


def test_only_bpmn_and_dmn_files_are_accepted(deploy_fixture):
    with pytest.raises(DeployError):
        engine.deploy({"notes.txt": "hello"}, actor_id=1)


def test_the_real_diagrams_deploy(engine_app):
    from app.config import ROOT

    engine_app.config["ERFLOW_FORMS_DIR"] = str(ROOT / "forms")
    keys = {v.key for v in engine.deploy_dir(ROOT / "bpmn")}
    assert "allocation" in keys
