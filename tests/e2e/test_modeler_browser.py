"""The administrators' editors in a real browser: add a user task with a form in a lane and deploy
it through the page (new instances get the task in the right inbox); a task without a form is
refused with the element highlighted and the old version still serving; a DMN threshold (R11)
edited and deployed takes effect for new instances only."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app import engine
from app.common.models import TestClock
from app.extensions import db

ADD_TASK = """([id, name, withLane]) => {
  const modeler = window.ERFlow.modeler;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  const draft = registry.get('draft');
  const approve = registry.get('approve');
  const lane = registry.get('Lane_handler');
  const participant = registry.get('Participant_allocation');
  modeling.removeElements([registry.get('flow_draft_approve')]);
  const x = draft.x + draft.width / 2;
  const y = withLane ? lane.y + lane.height - 45 : draft.y + draft.height / 2;
  const task = modeling.createShape({ type: 'bpmn:UserTask' }, { x: x, y: y }, participant);
  modeling.updateProperties(task, { id: id });
  modeling.updateLabel(task, name);
  modeling.connect(draft, task);
  modeling.connect(task, approve);
  modeler.get('selection').select(task);
  return task.id;
}"""


def _clock(app):
    with app.app_context():
        db.session.merge(TestClock(id=1, now=datetime(2025, 9, 16, 1, 0, tzinfo=UTC)))
        db.session.commit()


def _enterprise_id(app, name: str) -> int:
    from app.auth.models import Enterprise

    with app.app_context():
        return db.session.scalar(select(Enterprise.id).where(Enterprise.name == name))


def _user_id(app, username: str) -> int:
    from app.auth.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def _start(app, enterprise: str, handler: str) -> engine.InstanceInfo:
    with app.app_context():
        info = engine.start("allocation",
                            {"enterprise_id": _enterprise_id(app, enterprise),
                             "amounts": {"COD": "8.5"}},
                            actor_id=_user_id(app, handler))
        db.session.commit()
        return info


def _open_modeler(page, live_server, login):
    login(page, "admin", "admin123")
    page.goto(f"{live_server}/admin/processes/allocation/modeler")
    page.wait_for_selector("#modeler[data-state=ready]")


def test_add_a_user_task_with_a_form_deploy_and_see_it_in_the_inbox(
    live_server, page, login, screenshot
):
    app = live_server.app
    _clock(app)
    _open_modeler(page, live_server, login)
    # lanes show the roles' Chinese names, the diagram keeps the codes
    assert page.locator('text[data-role="handler"]').first.text_content() == "经办人"
    page.evaluate(ADD_TASK, ["check_materials", "核对材料", True])
    # the form is chosen in the properties panel (ERFlow group), not in XML
    form = page.get_by_label("表单（JSON Schema）")
    if not form.is_visible():
        page.get_by_text("ERFlow 设置").click()
    form.select_option("allocation_review.schema.json")
    page.get_by_label("表单布局（UI）").select_option("allocation_review.ui.json")
    screenshot(page, "modeler_new_task")
    page.get_by_label("新版本的修改原因").fill("增加核对材料步骤")
    page.get_by_role("button", name="部署为新版本").click()
    page.wait_for_selector("#modeler[data-deployed-version='2']")
    assert "第 2 版" in page.locator("#modeler-status").inner_text()

    with app.app_context():
        versions = engine.version_list("allocation")
        assert (versions[0].version, versions[0].comment) == (2, "增加核对材料步骤")
    info = _start(app, "杭州之江精细化工有限公司", "xihu_handler")
    assert info.version == 2
    with app.app_context():
        draft = next(t for t in info.active_tasks if t.name == "draft")
        after = engine.complete(draft.id, {"amounts": {"COD": "8.5"}, "opinion": "拟定"},
                                actor_id=_user_id(app, "xihu_handler"))
        db.session.commit()
        task = next(t for t in after.active_tasks if t.name == "check_materials")
        assert task.role == "handler" and task.region_code == "330106"

    page.context.clear_cookies()
    login(page, "xihu_handler", "demo1234")
    page.goto(f"{live_server}/inbox")
    assert page.locator("tr.task-row", has_text="核对材料").count() == 1
    screenshot(page, "modeler_new_task_inbox")


def test_task_without_form_is_refused_with_the_element_highlighted(
    live_server, page, login, screenshot
):
    app = live_server.app
    _clock(app)
    _open_modeler(page, live_server, login)
    page.evaluate(ADD_TASK, ["no_form_task", "无表单任务", True])
    page.get_by_label("新版本的修改原因").fill("缺表单")
    page.get_by_role("button", name="部署为新版本").click()
    page.wait_for_selector("#modeler[data-invalid-element='no_form_task']")
    marked = page.locator('g.djs-element.erflow-invalid[data-element-id="no_form_task"]')
    assert marked.count() == 1
    assert "表单" in page.locator("#modeler-status").inner_text()
    assert page.locator(".erflow-invalid-badge").count() == 1
    screenshot(page, "modeler_refused")
    with app.app_context():
        assert engine.version_list("allocation")[0].version == 1
    assert _start(app, "杭州之江精细化工有限公司", "xihu_handler").version == 1


EDIT_THRESHOLD = """(value) => {
  const viewer = window.ERFlow.dmnModeler.getActiveViewer();
  const cell = viewer.get('elementRegistry').get('Entry_province_capacity');
  viewer.get('modeling').editCell(cell.businessObject, value);
  return cell.businessObject.text;
}"""


def test_R11_threshold_edited_in_the_dmn_editor_applies_to_new_instances_only(
    live_server, page, login, screenshot
):
    app = live_server.app
    _clock(app)
    before = _start(app, "杭州西溪热电有限公司", "hangzhou_handler")  # 299.9 MW
    assert before.summary["allocating_level"] == "city"

    login(page, "admin", "admin123")
    page.goto(f"{live_server}/admin/decisions/allocation_level.dmn")
    page.wait_for_selector("#dmn-editor[data-state=ready]")
    assert page.evaluate(EDIT_THRESHOLD, ">= 250") == ">= 250"
    screenshot(page, "dmn_editor")
    page.get_by_label("新版本的修改原因").fill("门槛调整为25万千瓦")
    page.get_by_role("button", name="部署为新版本").click()
    page.wait_for_selector("#dmn-editor[data-deployed]")
    assert "allocation v2" in page.locator("#dmn-status").inner_text()

    after = _start(app, "杭州西溪热电有限公司", "zhejiang_handler")
    assert (after.version, after.summary["allocating_level"]) == (2, "province")
    with app.app_context():
        old = engine.get_instance(before.id)
        assert (old.version, old.summary["allocating_level"]) == (1, "city")
