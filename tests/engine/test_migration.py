"""Moving running instances to a newer version: allowed when completed steps are unchanged, refused
with the reason otherwise, audited either way it happens; diff and rollback of versions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import engine
from app.engine.models import AuditEvent
from app.errors import Conflict
from app.extensions import db
from tests.engine.conftest import fixture_text, open_task

# a second user task "check" between compute and approve, in the approver lane
CHECK = """    <bpmn:userTask id="check" name="核对">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="review.schema.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f3b</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3b" sourceRef="check" targetRef="approve" />
"""


def with_check_step(text: str) -> str:
    text = text.replace('<bpmn:sequenceFlow id="f3" sourceRef="compute" targetRef="approve" />',
                        '<bpmn:sequenceFlow id="f3" sourceRef="compute" targetRef="check" />')
    text = text.replace('<bpmn:userTask id="approve" name="审批">', CHECK
                        + '    <bpmn:userTask id="approve" name="审批">', 1)
    text = text.replace("<bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>",
                        "<bpmn:incoming>f3b</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>")
    return text.replace("<bpmn:flowNodeRef>approve</bpmn:flowNodeRef>",
                        "<bpmn:flowNodeRef>approve</bpmn:flowNodeRef>"
                        "<bpmn:flowNodeRef>check</bpmn:flowNodeRef>")


@pytest.fixture
def two_versions(deploy_fixture):
    deploy_fixture("simple.bpmn")
    early = engine.start("simple", {}, actor_id=1, handling_region="330106")
    late = engine.start("simple", {}, actor_id=1, handling_region="330106")
    late = engine.complete(open_task(late, "fill").id, {"amount": "1"}, actor_id=1)
    engine.deploy_process("simple", with_check_step(fixture_text("simple.bpmn")), actor_id=1,
                          comment="增加核对步骤")
    return early, late


def test_instance_whose_completed_steps_are_unchanged_moves_and_is_audited(two_versions):
    early, _ = two_versions
    checks = {c.instance_id: c for c in engine.migration_candidates("simple")}
    assert checks[early.id].compatible and checks[early.id].to_version == 2
    engine.migrate_instance(early.id, actor_id=7)
    inst = engine.get_instance(early.id)
    assert inst.version == 2
    inst = engine.complete(open_task(inst, "fill").id, {"amount": "1"}, actor_id=1)
    assert [t.name for t in inst.active_tasks] == ["check"]  # the new step runs
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "migrated"))
    assert audit.instance_id == early.id and audit.actor_id == 7
    assert audit.detail == {"from_version": 1, "to_version": 2}


def test_instance_past_a_changed_step_is_listed_with_the_reason_and_refused(two_versions):
    _, late = two_versions
    check = {c.instance_id: c for c in engine.migration_candidates("simple")}[late.id]
    assert not check.compatible and "compute" in check.reason
    with pytest.raises(Conflict):
        engine.migrate_instance(late.id, actor_id=7)
    assert engine.get_instance(late.id).version == 1


def test_diff_names_added_and_changed_elements(two_versions):
    diff = engine.diff_versions("simple", 1, 2)
    assert {"check", "f3b"} <= set(diff.added)
    assert "f3" in diff.changed and "approve" in diff.changed and diff.removed == []
    assert "fill" not in diff.changed


def test_rollback_deploys_the_old_xml_as_a_new_version(two_versions):
    info = engine.rollback("simple", 1, actor_id=1, comment="撤回核对步骤")
    assert info.version == 3 and info.changed
    assert engine.diff_versions("simple", 1, 3).changed == []
    versions = engine.version_list("simple")
    assert [(v.version, v.comment) for v in versions][0] == (3, "撤回核对步骤")
    assert versions[-1].running == 2  # the two instances stay on version 1
