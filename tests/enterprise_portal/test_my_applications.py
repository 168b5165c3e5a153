"""The enterprise's "my applications" page: its own applications only, the step each stands at,
what the enterprise must do and by when, in plain Chinese."""
from __future__ import annotations

from datetime import timedelta

from app.engine.models import ProcessInstance
from app.extensions import db


def _ours(make_task, user, **kw):
    """A task row whose instance belongs to `user`'s enterprise."""
    task = make_task(**kw)
    db.session.get(ProcessInstance, task.instance_id).enterprise_id = user.enterprise_id
    db.session.commit()
    return task


def test_enterprise_sees_what_to_do_and_by_when(client, login, make_task, make_user, monday):
    user = make_user(roles=["enterprise"])
    _ours(make_task, user, role="enterprise", region_code=None, enterprise_id=user.enterprise_id,
          title="缴纳有偿使用费", due_at=monday + timedelta(days=10))
    _ours(make_task, user, title="初审", due_at=monday + timedelta(days=5))
    login(client, user)
    html = client.get("/my/applications").get_data(as_text=True)
    assert html.count('data-testid="application"') == 2
    assert "需要您办理" in html and "缴纳有偿使用费" in html and "立即办理" in html
    assert "请于 2025-03-13" in html  # 10 days after Monday, Shanghai time
    assert "生态环境主管部门正在办理您的申请" in html and "初审" in html
    assert 'name="viewport"' in html  # phone width
    html = client.get("/my/applications?lang=en").get_data(as_text=True)
    assert "What you need to do" in html


def test_overdue_enterprise_step_says_so(client, login, make_task, make_user, monday):
    user = make_user(roles=["enterprise"])
    _ours(make_task, user, role="enterprise", region_code=None, enterprise_id=user.enterprise_id,
          title="补正材料", due_at=monday - timedelta(hours=2))
    login(client, user)
    html = client.get("/my/applications").get_data(as_text=True)
    assert "已超过办理期限" in html and "alert-danger" in html


def test_other_enterprises_applications_are_not_listed(client, login, make_task, make_user,
                                                       monday):
    user = make_user(roles=["enterprise"])
    other = make_user(roles=["enterprise"])
    _ours(make_task, other, title="别家的初审")
    login(client, user)
    html = client.get("/my/applications").get_data(as_text=True)
    assert "别家的初审" not in html and "贵单位暂无申请" in html


def test_bureau_users_may_not_open_it(client, login, staff):
    login(client, staff["reviewer"])
    assert client.get("/my/applications").status_code == 403


def _decide(task, actor, decision="refuse", opinion="材料不全，不符合条件"):
    from app.common import clock
    from app.engine.models import AuditEvent

    db.session.add(AuditEvent(at=clock.now(), actor_id=actor.id, instance_id=task.instance_id,
                              task_id=task.id, task_name="approve", action="task_completed",
                              detail={"decision": decision, "opinion": opinion}))
    db.session.commit()


def test_review_decision_prints_with_bureau_and_number(client, login, make_task, make_user,
                                                       staff, monday):
    user = make_user(roles=["enterprise"])
    task = _ours(make_task, user, title="审批", business_key="FP-2025-000042")
    inst = db.session.get(ProcessInstance, task.instance_id)
    inst.business_key = "FP-2025-000042"
    db.session.commit()
    login(client, user)
    assert client.get(f"/documents/decisions/{inst.id}").status_code == 404  # nothing decided
    _decide(task, staff["approver"])
    assert "打印审查决定书" in client.get("/my/applications").get_data(as_text=True)
    html = client.get(f"/documents/decisions/{inst.id}").get_data(as_text=True)
    assert "审查决定书" in html and "FP-2025-000042-JD01" in html
    assert "不予同意" in html and "材料不全，不符合条件" in html and "行政复议" in html
    assert "@media print" in html
    assert "Review decision" in client.get(
        f"/documents/decisions/{inst.id}?lang=en").get_data(as_text=True)


def test_R7_review_decision_of_another_enterprise_is_404(client, login, make_task, make_user,
                                                         staff, monday):
    owner = make_user(roles=["enterprise"])
    task = _ours(make_task, owner)
    _decide(task, staff["approver"])
    login(client, make_user(roles=["enterprise"]))
    assert client.get(f"/documents/decisions/{task.instance_id}").status_code == 404
    login(client, staff["other_county"])  # another county's bureau
    assert client.get(f"/documents/decisions/{task.instance_id}").status_code == 404
    login(client, staff["reviewer"])  # the county's own bureau may print it
    assert client.get(f"/documents/decisions/{task.instance_id}").status_code == 200


def _fee_notice(enterprise_id, due_at):
    from datetime import date
    from decimal import Decimal

    from app.ledger.models import FeeNotice

    notice = FeeNotice(number=f"FN-T-{due_at:%m%d%H}", enterprise_id=enterprise_id,
                       region_code="330106", bureau_name="西湖区生态环境分局",
                       province_code="330000", valid_from=date(2025, 1, 1),
                       valid_to=date(2029, 12, 31), lines=[], amount=Decimal("1234.50"),
                       finalised_at=due_at, issue_due_at=due_at, issued_at=due_at, due_at=due_at)
    db.session.add(notice)
    db.session.commit()
    return notice


def test_R16_unpaid_fee_shows_what_to_pay_and_by_when(client, login, make_user, monday):
    from app.notifications import services
    from app.notifications.models import Notification

    user = make_user(roles=["enterprise"])
    soon = _fee_notice(user.enterprise_id, monday + timedelta(days=1))
    late = _fee_notice(user.enterprise_id, monday - timedelta(days=1))
    login(client, user)
    html = client.get("/my/applications").get_data(as_text=True)
    assert html.count('data-testid="fee-to-pay"') == 2
    assert "请于 2025-03-04 09:00 前向税务部门缴纳排污权有偿使用费 1234.50 元" in html
    assert "已于 2025-03-02 09:00 到期未缴" in html
    assert services.sweep() == 2  # one due soon, one overdue (R4/R5/R16)
    kinds = {(n.kind, n.link) for n in db.session.query(Notification).filter_by(user_id=user.id)}
    assert kinds == {("due_soon", f"/allocation/fee-notices/{soon.id}"),
                     ("overdue", f"/allocation/fee-notices/{late.id}")}
    assert services.sweep() == 0
