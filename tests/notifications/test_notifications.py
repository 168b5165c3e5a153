"""Notifications: a task opened notifies its candidates (R7 region and role), a bureau decision
notifies the applicant, deadlines approaching (≤ 3 working days, R4/R5) and passed are swept once,
the bell counts unread ones, and mail goes through the configured SMTP server."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.common import clock
from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification
from tests.acceptance import trade_http
from tests.notifications.conftest import COUNTY_B

http = trade_http.http  # the trade fixture (API harness)


def notes(user, kind=None) -> list[Notification]:
    q = select(Notification).where(Notification.user_id == user.id)
    if kind:
        q = q.where(Notification.kind == kind)
    return list(db.session.scalars(q))


def test_R7_task_opened_notifies_its_role_in_its_region_only(make_task, staff, monday):
    task = make_task(title="初审", business_key="BK-X")  # a reviewer task of county A
    mine = notes(staff["reviewer"], "task")
    assert len(mine) == 1 and mine[0].link == f"/inbox/tasks/{task.id}"
    assert mine[0].title == "初审（BK-X）"
    assert len(notes(staff["reviewer2"], "task")) == 1
    assert notes(staff["handler"]) == []  # another role
    assert notes(staff["other_county"]) == []  # another county (R7)
    assert notes(staff["city"]) == []  # the city sees, but does not work on, county tasks


def test_R7_task_opened_reaches_every_holder_of_the_role_and_no_inactive_user(
        make_task, make_user, staff, monday):
    """The candidates are written in one INSERT … SELECT: a user holding the role among others
    is one of them; an inactive one, or one whose roles only resemble it, is not."""
    several = make_user(roles=["approver", "handler", "reviewer"], region_code=staff["reviewer"]
                        .region_code)
    gone = make_user(roles=["reviewer"], region_code=staff["reviewer"].region_code)
    gone.active = False
    lookalike = make_user(roles=["handler"], region_code=staff["reviewer"].region_code)
    lookalike.roles_csv = "handler,reviewer_x"  # a role that only starts like "reviewer"
    db.session.flush()
    task = make_task(title="初审")
    assert [n.ref for n in notes(several, "task")] == [task.id]
    assert notes(gone) == [] and notes(lookalike) == []
    assert len(notes(staff["reviewer"], "task")) == 1


def test_enterprise_lane_task_notifies_the_enterprise_users(make_task, make_user, monday):
    user = make_user(roles=["enterprise"])
    other = make_user(roles=["enterprise"])
    make_task(role="enterprise", region_code=None, enterprise_id=user.enterprise_id)
    assert len(notes(user, "task")) == 1
    assert notes(other) == []


def test_bureau_completion_notifies_the_applicant_as_a_decision(make_task, make_user, staff,
                                                                monday):
    from app.engine.models import ProcessInstance

    applicant = make_user(roles=["enterprise"])
    stranger = make_user(roles=["enterprise"])
    task = make_task(started_by=staff["handler"].id, form_key="allocation_review")
    db.session.get(ProcessInstance, task.instance_id).enterprise_id = applicant.enterprise_id
    draft = make_task(role="handler", form_key="allocation_draft")
    db.session.get(ProcessInstance, draft.instance_id).enterprise_id = applicant.enterprise_id
    draft.state, draft.completed_at = "completed", clock.now()  # a draft is no decision
    task.state, task.completed_at = "completed", clock.now()
    task.completed_by = staff["reviewer"].id
    db.session.commit()
    decided = notes(applicant, "decision")
    assert len(decided) == 1 and decided[0].ref == task.id
    assert notes(staff["reviewer"], "decision") == []  # never the one who decided
    assert notes(staff["handler"], "decision") == [] and notes(stranger) == []


@pytest.mark.parametrize("role, form_key, told", [
    ("handler", "buyback_approve", True),  # 审核回购申请: a handler-lane decision
    ("handler", "trade_certify", True),  # 可交易排污权认定 (certify_decision)
    ("reviewer", "trade_subject_review", True),  # review_decision
    ("reviewer", "trade_cross_approval", True),  # approval_decision (common superior, R26)
    ("handler", "trade_buyback", True),  # buyback_decision (R21 priority buyback)
    ("handler", "trade_deposit", False),  # confirming a deposit decides nothing
    ("reviewer", None, False),  # no form: nothing decided
    ("enterprise", "trade_contract", False),  # the unit's own choice is no bureau decision
])
def test_every_decision_step_tells_the_applicant_whatever_its_lane(make_task, make_user, staff,
                                                                   monday, role, form_key, told):
    from app.engine.models import ProcessInstance

    applicant = make_user(roles=["enterprise"])
    task = make_task(role=role, form_key=form_key)
    db.session.get(ProcessInstance, task.instance_id).enterprise_id = applicant.enterprise_id
    task.state, task.completed_at, task.completed_by = "completed", clock.now(), staff["handler"].id
    db.session.commit()
    assert len(notes(applicant, "decision")) == (1 if told else 0)


def test_R4_R5_deadline_sweep_due_soon_then_overdue_each_once(make_task, staff, monday):
    # due at 24:00 of Wednesday (Monday + 2 working days): yellow
    task = make_task(due_at=monday + timedelta(days=2, hours=15),
                     assignee_id=staff["reviewer"].id)
    far = make_task(due_at=monday + timedelta(days=20))  # green: nothing
    assert services.sweep() == 1
    assert services.sweep() == 0  # once per (user, kind, task)
    assert [n.kind for n in notes(staff["reviewer"], "due_soon")] == ["due_soon"]
    assert notes(staff["reviewer"], "due_soon")[0].ref == task.id
    assert not [n for n in notes(staff["reviewer"]) if n.ref == far.id and n.kind != "task"]
    clock.set_now(monday + timedelta(days=3))  # Thursday: passed
    assert services.sweep() == 1
    kinds = sorted(n.kind for n in notes(staff["reviewer"]) if n.ref == task.id)
    assert kinds == ["due_soon", "overdue", "task"]


def test_closed_tasks_are_not_swept(make_task, staff, monday):
    make_task(due_at=monday - timedelta(days=1), state="completed")
    assert services.sweep() == 0


def test_bell_counts_unread_and_mark_read(client, login, make_task, staff, monday):
    make_task()
    make_task()  # two open reviewer tasks of county A → two notifications each
    login(client, staff["reviewer"])
    html = client.get("/inbox").get_data(as_text=True)
    assert re.search(r'data-testid="bell-count">2<', html)
    page = client.get("/notifications").get_data(as_text=True)
    assert "新待办任务" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    first = notes(staff["reviewer"])[0]
    assert client.post(f"/notifications/{first.id}/read").status_code == 400  # CSRF
    resp = client.post(f"/notifications/{first.id}/read", data={"csrf_token": token, "go": "1"})
    assert resp.status_code == 302 and resp.headers["Location"] == first.link
    assert 'data-testid="bell-count">1<' in client.get("/inbox").get_data(as_text=True)
    client.post("/notifications/read-all", data={"csrf_token": token})
    assert "bell-count" not in client.get("/inbox").get_data(as_text=True)
    assert "My notifications" in client.get("/notifications?lang=en").get_data(as_text=True)


def test_another_users_notification_is_404(client, login, make_task, staff, monday):
    make_task()
    theirs = notes(staff["reviewer"])[0]
    login(client, staff["other_county"])
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/notifications").get_data(as_text=True)).group(1)
    assert client.post(f"/notifications/{theirs.id}/read",
                       data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None


# -- mail through a local SMTP sink -----------------------------------------------------------

def test_deadline_mail_reaches_the_smtp_sink(smtp_sink, make_task, staff, monday):
    from email import message_from_bytes
    from email.header import decode_header, make_header
    from email.policy import default

    reviewer = staff["reviewer"]
    reviewer.email = "reviewer@bureau.example"
    db.session.commit()
    task = make_task(due_at=monday - timedelta(hours=1), assignee_id=reviewer.id)
    added, mailed = services.run()
    db.session.commit()
    assert added == 1 and mailed == 2  # the task notification and the overdue one
    mails = [message_from_bytes(m, policy=default) for m in smtp_sink.messages]
    subjects = [str(make_header(decode_header(m["Subject"]))) for m in mails]
    assert any("办理已超期" in s for s in subjects)
    overdue = mails[[i for i, s in enumerate(subjects) if "办理已超期" in s][0]]
    assert overdue["To"] == "reviewer@bureau.example"
    assert f"https://erflow.example/inbox/tasks/{task.id}" in overdue.get_content()
    assert services.run() == (0, 0)  # nothing mailed twice


def test_no_mail_without_smtp_host(app, make_task, staff, monday):
    staff["reviewer"].email = "r@bureau.example"
    make_task(due_at=monday - timedelta(hours=1))
    assert services.deliver_mail() == 0


def test_cli_notify(app, make_task, staff, monday):
    make_task(due_at=monday - timedelta(hours=1))
    result = app.test_cli_runner().invoke(args=["erflow", "notify"])
    assert result.exit_code == 0, result.output
    assert "notification(s) added" in result.output
    assert notes(staff["reviewer"], "overdue")


def test_other_county_reviewer_gets_no_deadline_notice(make_task, staff, monday):
    make_task(region_code=COUNTY_B, due_at=monday - timedelta(hours=1))
    services.sweep()
    assert notes(staff["reviewer"]) == []
    assert len(notes(staff["other_county"], "overdue")) == 1


def test_the_worker_round_runs_the_sweep_at_most_every_interval(app, make_task, staff, monday):
    from app.engine.worker import run_round

    app.config["ERFLOW_NOTIFY_INTERVAL"] = 300
    services._last_periodic.clear()
    make_task(due_at=monday - timedelta(hours=1))
    run_round()
    assert len(notes(staff["reviewer"], "overdue")) == 1
    make_task(due_at=monday - timedelta(hours=1))
    run_round()  # within the interval: not yet
    assert len(notes(staff["reviewer"], "overdue")) == 1
    clock.set_now(monday + timedelta(minutes=6))
    run_round()
    assert len(notes(staff["reviewer"], "overdue")) == 2


def test_R7_engine_step_notifies_the_handlers_of_the_county(staff, start_allocation):
    start_allocation(staff["handler"])  # the first step (draft) is the handler's in county A
    mine = notes(staff["handler"], "task")
    assert len(mine) == 1 and "拟定核定量" in mine[0].title
    assert notes(staff["other_county"]) == [] and notes(staff["reviewer"]) == []


def test_unreachable_smtp_server_keeps_notes_for_the_next_round(app, make_task, staff, monday):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(ERFLOW_SMTP_HOST="127.0.0.1", ERFLOW_SMTP_PORT=port)
    staff["reviewer"].email = "r@bureau.example"
    db.session.commit()
    make_task(due_at=monday - timedelta(hours=1))
    added, mailed = services.run()
    assert added == 2 and mailed == 0  # both county reviewers
    assert all(n.mailed_at is None for n in notes(staff["reviewer"]))


def _mails(sink):
    from email import message_from_bytes
    from email.header import decode_header, make_header
    from email.policy import default

    mails = [message_from_bytes(m, policy=default) for m in sink.messages]
    return [(str(make_header(decode_header(m["Subject"]))), m["To"], m.get_content())
            for m in mails]


def test_R4_R5_due_soon_mail_reaches_the_smtp_sink(smtp_sink, make_task, staff, monday):
    reviewer = staff["reviewer"]
    reviewer.email = "reviewer@bureau.example"
    db.session.commit()
    # due at 24:00 of Wednesday (Monday + 2 working days): within 3 working days
    task = make_task(title="复核异议", due_at=monday + timedelta(days=2, hours=15),
                     assignee_id=reviewer.id, business_key="FP-2025-000009")
    added, mailed = services.run()
    db.session.commit()
    assert added == 1 and mailed == 2  # the task notification and the due-soon one
    soon = [m for m in _mails(smtp_sink) if "办理期限即将届满" in m[0]]
    assert len(soon) == 1
    subject, to, body = soon[0]
    assert subject == "[ERFlow] 办理期限即将届满：复核异议（FP-2025-000009）"
    assert to == "reviewer@bureau.example"
    assert f"https://erflow.example/inbox/tasks/{task.id}" in body


def test_mail_is_written_in_the_recipients_language(smtp_sink, make_task, staff, monday):
    reviewer, other = staff["reviewer"], staff["reviewer2"]
    reviewer.email, reviewer.locale = "en@bureau.example", "en"
    other.email = "zh@bureau.example"  # no preference: Chinese
    db.session.commit()
    make_task(title="拟定核定量", business_key="FP-2025-000010",
              due_at=monday - timedelta(hours=1))
    services.run()
    db.session.commit()
    mails = {(to, subject): body for subject, to, body in _mails(smtp_sink)}
    assert ("en@bureau.example", "[ERFlow] Deadline overdue: Draft the amounts (FP-2025-000010)") \
        in mails
    assert ("en@bureau.example", "[ERFlow] New task for you: Draft the amounts (FP-2025-000010)") \
        in mails
    assert ("zh@bureau.example", "[ERFlow] 办理已超期：拟定核定量（FP-2025-000010）") in mails
    assert not any("办理" in s or "拟定" in s for to, s in mails if to.startswith("en@"))


def test_R16_fee_notice_title_in_each_users_language(app, make_enterprise, make_user):
    from datetime import UTC, date, datetime

    from app.ledger import fees

    clock.set_now(datetime(2025, 10, 10, 2, 0, tzinfo=UTC))
    ent = make_enterprise()
    zh = make_user(roles=["enterprise"], enterprise=ent)
    en = make_user(roles=["enterprise"], enterprise=ent)
    en.locale = "en"
    notice = fees.issue_notice(
        enterprise_id=ent.id, region_code="330106", amounts={"COD": "1.0000"},
        valid_from=date(2026, 3, 18), valid_to=date(2030, 12, 31), finalised_at=clock.now(),
        payment_days=30, notice_working_days=10)
    db.session.commit()
    clock.set_now(notice.due_at - timedelta(hours=30))  # due within 3 working days
    services.sweep()
    db.session.commit()
    [mine] = notes(zh, "due_soon")
    assert mine.title == f"缴款通知单 {notice.number}（{notice.amount} 元）"
    [theirs] = notes(en, "due_soon")
    assert theirs.title == f"Payment notice {notice.number} ({notice.amount} yuan)"


def test_handler_lane_decisions_of_a_trade_tell_the_buyer(http):
    """Engine-driven: the certification (handler lane) and the subject review both notify the
    applicant unit's users."""
    from sqlalchemy import select as sql_select

    from app.auth.models import User
    from tests.acceptance.trade_http import SHANGCHENG, XIHU

    seller, _ = http.enterprise(SHANGCHENG)
    buyer, unit = http.enterprise(XIHU)
    http.lot(seller, "SO2", "4.0000")
    http.start(unit, seller, {"SO2": "1.5000"}, "1200.00")
    user = db.session.scalar(sql_select(User).where(User.username == unit))
    assert notes(user, "decision") == []
    http.do("h_sc", "certify", {"certify_decision": "certified", "opinion": "可交易"})
    assert ["可交易排污权认定"] == [n.title.split("（")[0] for n in notes(user, "decision")]
    http.do("r_sc", "subject_review", {"review_decision": "approved", "opinion": "符合"})
    assert len(notes(user, "decision")) == 2


def test_notification_page_names_the_step_in_the_pages_language(client, login, make_task, staff,
                                                                monday):
    make_task(title="拟定核定量", business_key="FP-2025-000011")
    login(client, staff["reviewer"])
    assert "拟定核定量（FP-2025-000011）" in client.get("/notifications?lang=zh_CN").get_data(
        as_text=True)
    en = client.get("/notifications?lang=en").get_data(as_text=True)
    assert "Draft the amounts (FP-2025-000011)" in en and "拟定核定量" not in en


def test_switching_language_makes_it_the_users_preference_for_mail(client, login, smtp_sink,
                                                                   make_task, staff, monday):
    reviewer = staff["reviewer"]
    reviewer.email = "r@bureau.example"
    db.session.commit()
    login(client, reviewer)
    client.get("/inbox?lang=en")
    db.session.expire_all()
    assert db.session.get(type(reviewer), reviewer.id).locale == "en"
    make_task(title="拟定核定量", business_key="FP-2025-000012",
              due_at=monday - timedelta(hours=1))
    services.run()
    db.session.commit()
    subjects = {s for s, to, _body in _mails(smtp_sink) if to == "r@bureau.example"}
    assert "[ERFlow] Deadline overdue: Draft the amounts (FP-2025-000012)" in subjects
    client.get("/inbox?lang=zh_CN")
    db.session.expire_all()
    assert db.session.get(type(reviewer), reviewer.id).locale == "zh_CN"


def test_another_users_notification_is_refused_in_the_pages_language(client, login, make_task,
                                                                     staff, monday):
    make_task()
    theirs = notes(staff["reviewer"])[0]
    login(client, staff["other_county"])
    page = client.get("/notifications?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(f"/notifications/{theirs.id}/read", data={"csrf_token": token})
    assert resp.status_code == 404 and "Notification not found" in resp.get_data(as_text=True)
