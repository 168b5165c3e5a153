"""Migrations upgrade a populated database (docs/operations.md, "Upgrades").

The database is upgraded one revision at a time from the first. Right after the revision that
creates a table, realistic rows go into it (written through the table as that revision left it,
so later revisions meet data when they add columns or build indexes — the unique index on trade
deposits, the partial indexes on tasks and on the mail queue, the certificate indexes). At head
every row is still there, the new columns took their defaults, the application reads the rows
through its models, and `flask erflow ledger-check` finds the books balanced. SQLite and
PostgreSQL (ERFLOW_TEST_DB)."""
from __future__ import annotations

from datetime import UTC, date, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, func, inspect, select, text

from app import create_app
from app.config import ROOT
from app.extensions import db
from app.ops.health import migration_heads

T0 = datetime(2026, 3, 2, 1, 0)  # 09:00 Asia/Shanghai (stored UTC, R3)
TERM = {"valid_from": date(2026, 1, 1), "valid_to": date(2030, 12, 31)}
T, Y = 10000, 100  # stored units: tonnes × 10 000 (R1), yuan × 100
TASK_OPEN, TASK_DONE, TASK_CLAIMED = ("11111111-1111-4111-8111-111111111111",
                                      "22222222-2222-4222-8222-222222222222",
                                      "33333333-3333-4333-8333-333333333333")


def _ledger_rows() -> tuple[list[dict], list[dict]]:
    """Lots and entries as the ledger writes them: an allocation, a reserve registration, and a
    green-channel sale of 0.5 t SO2 from that reserve (R29), each a balanced transaction."""
    lots = [
        {"id": 1, "owner_kind": "enterprise", "enterprise_id": 1, "pollutant": "COD",
         "acquisition": "allocation", "temporary": False, "balance": 125000},
        {"id": 2, "owner_kind": "reserve", "reserve_region": "130102", "pollutant": "SO2",
         "acquisition": "free", "temporary": False, "balance": 45000},
        {"id": 3, "owner_kind": "enterprise", "enterprise_id": 2, "pollutant": "SO2",
         "acquisition": "paid", "origin_lot_id": 2, "temporary": False,
         "certificate_no": "JY-130102-2026-000001", "balance": 5000},
    ]
    for lot in lots:
        lot.update(created_at=T0, **TERM)

    def leg(txn, lot, account, tonnes, cause, **extra):
        return {"txn_id": txn, "lot_id": lot, "account": account, "pollutant":
                lots[lot - 1]["pollutant"], "tonnes": int(tonnes * T), "cause": cause,
                "at": T0, **extra}

    entries = [
        leg("a0000000-0000-4000-8000-000000000001", 1, "enterprise:1", 12.5, "allocation",
            instance_id=1),
        leg("a0000000-0000-4000-8000-000000000001", 1, "external:allocation", -12.5,
            "allocation", instance_id=1),
        leg("a0000000-0000-4000-8000-000000000002", 2, "reserve:130102", 5, "registration"),
        leg("a0000000-0000-4000-8000-000000000002", 2, "external:registration", -5,
            "registration"),
        leg("a0000000-0000-4000-8000-000000000003", 2, "reserve:130102", -0.5, "trade",
            instance_id=2, task_id=TASK_DONE),
        leg("a0000000-0000-4000-8000-000000000003", 3, "enterprise:2", 0.5, "trade",
            instance_id=2, task_id=TASK_DONE),
    ]
    return lots, entries


def _rows() -> dict[str, list[dict]]:
    """Rows per table, as a deployment that ran for a while would hold them."""
    lots, entries = _ledger_rows()
    task = {"process_key": "trade", "title": "交易", "region_code": "130102", "priority": 0,
            "created_at": T0, "provisional": False, "escalated": False, "summary": "",
            "flags": "", "form_key": "trade_settlement", "business_key": "JY-2026-000002"}
    ent = {"source_type": "industrial", "industry": "钢铁", "permit_class": "key",
           "auto_monitoring": True, "grade": "A", "created_at": T0}
    return {
        "region": [
            {"code": "130000", "name": "河北省", "level": "province", "parent_code": None,
             "province_code": "130000", "path": "130000", "extra": False},
            {"code": "130100", "name": "石家庄市", "level": "city", "parent_code": "130000",
             "province_code": "130000", "path": "130000/130100", "extra": False},
            {"code": "130102", "name": "长安区", "level": "county", "parent_code": "130100",
             "province_code": "130000", "path": "130000/130100/130102", "extra": False},
        ],
        "bureau": [{"id": 1, "region_code": "130102", "name": "石家庄市生态环境局长安分局"}],
        "enterprise": [
            {"id": 1, "name": "长安钢铁", "credit_code": "91130102MA0000011X",
             "region_code": "130102", "permit_no": "91130102MA00000011001P", **ent},
            {"id": 2, "name": "长安焦化", "credit_code": "91130102MA0000022X",
             "region_code": "130102", "permit_no": "91130102MA00000022001P", **ent},
        ],
        "user": [
            {"id": 1, "username": "changan_reviewer", "password_hash": "x", "display_name": "审核",
             "roles": "reviewer,handler", "region_code": "130102", "active": True,
             "email": "r@bureau.example", "created_at": T0},
            {"id": 2, "username": "changan_steel", "password_hash": "x", "display_name": "钢铁",
             "roles": "enterprise", "enterprise_id": 1, "active": True, "created_at": T0},
        ],
        "api_token": [{"id": 1, "user_id": 1, "token_hash": "0" * 64, "created_at": T0,
                       "expires_at": datetime(2026, 3, 3)}],
        "process_version": [{"id": 1, "key": "trade", "version": 1, "name": "排污权交易",
                             "bpmn_xml": "<bpmn:definitions/>", "content_hash": "f" * 64,
                             "spec_json": "{}", "deployed_at": T0}],
        "process_instance": [
            {"id": 1, "key": "trade", "version": 1, "version_id": 1, "status": "running",
             "state_json": "{}", "summary": {"green_channel": False}, "handling_region":
             "130102", "enterprise_id": 1, "started_by": 2, "started_at": T0, "priority": 0,
             "lock_version": 3},
            {"id": 2, "key": "trade", "version": 1, "version_id": 1, "status": "completed",
             "state_json": "{}", "summary": {"green_channel": True, "certificate":
                                             "JY-130102-2026-000001"},
             "handling_region": "130102", "enterprise_id": 2, "started_by": 2,
             "started_at": T0, "ended_at": T0, "priority": 20, "lock_version": 7},
        ],
        "human_task": [
            {"id": TASK_OPEN, "instance_id": 1, "name": "confirm_settlement", "role": "handler",
             "state": "open", "due_at": datetime(2026, 3, 16, 16), **task},
            {"id": TASK_DONE, "instance_id": 2, "name": "confirm_settlement", "role": "handler",
             "state": "completed", "completed_at": T0, "completed_by": 1, **task},
            {"id": TASK_CLAIMED, "instance_id": 1, "name": "subject_review", "role": "reviewer",
             "state": "open", "assignee_id": 1, **task},
        ],
        "timer": [{"id": 1, "instance_id": 1, "task_id": TASK_OPEN, "name": "settlement_overdue",
                   "due_at": datetime(2026, 3, 16, 16)}],
        "deadline": [{"id": 1, "instance_id": 1, "task_name": "confirm_settlement",
                      "rule": "R24", "kind": "workdays", "start": date(2026, 3, 2), "n": 10,
                      "due_at": datetime(2026, 3, 16, 16), "provisional": False, "open": True}],
        "audit_event": [
            {"id": 1, "at": T0, "actor_id": 2, "instance_id": 2, "action": "started",
             "detail": {}},
            {"id": 2, "at": T0, "actor_id": 1, "instance_id": 2, "task_id": TASK_DONE,
             "task_name": "confirm_settlement", "action": "task_completed",
             "detail": {"opinion": "已结算"}},
        ],
        "rights_lot": lots,
        "ledger_entry": entries,
        "reserve_account": [{"id": 1, "region_code": "130102", "created_at": T0}],
        "fee_standard": [{"id": 1, "province_code": "330000", "pollutant": "COD",
                          "yuan_per_tonne_year": 4000 * Y, "updated_at": T0}],
        "benchmark_price": [{"id": 1, "province_code": "130000", "pollutant": "SO2",
                             "yuan_per_tonne": 5000 * Y, "updated_at": T0}],
        "calendar_day": [{"day": date(2026, 10, 10), "workday": True, "note": "调休"}],
        "calendar_year": [{"year": 2027, "days": 365, "revision": 1, "loaded_at": T0}],
        "region_attainment": [{"region_code": "130102", "year": 2025, "air": True,
                               "water": False, "updated_at": T0}],
        "pilot_pollutant": [{"id": 1, "region_code": "130102", "pollutant": "VOCs",
                             "enabled": True}],
        "admin_alert": [{"id": 1, "kind": "calendar", "key": "2027", "message": "请加载2027年日历",
                         "created_at": T0}],
        "login_attempt": [{"id": 1, "username": "changan_steel", "remote_addr": "10.0.0.1",
                           "at": T0}],
        "fee_notice": [{"id": 1, "number": "ZJ-330106-2026-0001", "instance_id": 1,
                        "enterprise_id": 1, "region_code": "130102", "bureau_name": "长安分局",
                        "province_code": "130000", **TERM, "lines": [], "amount": 12000 * Y,
                        "finalised_at": T0, "issue_due_at": T0, "issued_at": T0, "due_at": T0,
                        "status": "unpaid"}],
        "attachment": [{"id": 1, "instance_id": 1, "purpose": "objection", "filename": "说明.pdf",
                        "content_type": "application/pdf", "size": 1024, "sha256": "a" * 64,
                        "stored_name": "a" * 64 + ".pdf", "uploaded_by": 2, "uploaded_at": T0}],
        "allocation_policy": [{"name": "publication_days", "value": "15", "updated_at": T0}],
        "form_definition": [{"id": 1, "filename": "trade_settlement.schema.json", "version": 1,
                             "content": "{}", "saved_at": T0}],
        "process_draft": [{"id": 1, "key": "trade", "xml": "<bpmn:definitions/>",
                           "saved_at": T0}],
        "worker_heartbeat": [{"name": "host:1", "host": "host", "pid": 1, "started_at": T0,
                              "beat_at": T0, "fired_total": 42}],
        "notification": [
            {"id": 1, "user_id": 1, "kind": "task", "ref": TASK_OPEN, "title": "确认资金结算",
             "link": f"/inbox/tasks/{TASK_OPEN}", "created_at": T0},
            {"id": 2, "user_id": 1, "kind": "task", "ref": TASK_DONE, "title": "确认资金结算",
             "created_at": T0, "read_at": T0, "mailed_at": T0},
        ],
        "certificate": [{"id": 1, "number": "JY-130102-2026-000001", "instance_id": 2,
                         "buyer_id": 2, "seller": "reserve:130102", "region_code": "130102",
                         "amounts": {"SO2": "0.5000"}, "price_per_tonne": 5000 * Y,
                         "total_price": 2500 * Y, "method": "agreement",
                         "registration": "simplified", **TERM, "issued_at": T0}],
        "trade_deposit": [  # two bidders on one sale: (instance, unit) unique, as indexed later
            {"id": 1, "instance_id": 1, "enterprise_id": 1, "ratio": 30, "amount": 750 * Y,
             "status": "held", "paid_at": T0},
            {"id": 2, "instance_id": 1, "enterprise_id": 2, "ratio": 30, "amount": 750 * Y,
             "status": "refunded", "paid_at": T0, "closed_at": T0},
        ],
        "mediation_request": [{"id": 1, "instance_id": 1, "filed_by": 2, "party": "buyer",
                               "reason": "卖方迟延交付", "status": "open", "filed_at": T0}],
        "certificate_counter": [{"region_code": "130102", "year": 2026, "last_serial": 1}],
        "trade_bid": [{"id": 1, "instance_id": 1, "enterprise_id": 1, "price_per_tonne": 5200 * Y,
                       "placed_at": T0, "placed_by": 2, "status": "active"}],
    }


def _seed(conn, table_name: str, rows: list[dict]) -> None:
    """Insert `rows` through the table as the current revision has it; a NOT NULL column the
    rows do not fill (a new one without a default) fails here, naming it."""
    table = Table(table_name, MetaData(), autoload_with=conn)
    needed = {c.name for c in table.columns if not c.nullable and c.server_default is None
              and not (c.primary_key and c.autoincrement in (True, "auto"))}
    for row in rows:
        missing = needed - set(row)
        assert not missing, f"{table_name}: no seed value for {sorted(missing)}"
        conn.execute(table.insert().values({k: v for k, v in row.items() if k in table.c}))


def test_migrations_upgrade_a_populated_database_revision_by_revision(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "t"})
    runner = app.test_cli_runner()
    revisions = list(reversed(list(ScriptDirectory(str(ROOT / "migrations")).walk_revisions())))
    rows, seeded, present = _rows(), {}, set()
    for revision in revisions:
        result = runner.invoke(args=["db", "upgrade", revision.revision])
        assert result.exit_code == 0, (revision.revision, result.output)
        with app.app_context():
            with db.engine.begin() as conn:
                tables = set(inspect(conn).get_table_names())
                for name in [n for n in rows if n in tables - present]:  # foreign keys first
                    _seed(conn, name, rows[name])
                    seeded[name] = revision.revision
                present = tables
            db.engine.dispose()
    unseeded = sorted(present - set(seeded) - {"alembic_version", "test_clock"})
    assert not unseeded, f"tables no revision seeded (add rows to _rows()): {unseeded}"
    assert len({*seeded.values()}) >= 4  # rows went in at several revisions, not only the first

    with app.app_context():
        with db.engine.connect() as conn:
            for name, table_rows in rows.items():
                count = conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
                assert count == len(table_rows), (name, count)
            assert sorted(conn.execute(text("SELECT version_num FROM alembic_version"))
                          .scalars()) == list(migration_heads())
        _reads_at_head()
        db.engine.dispose()
    result = runner.invoke(args=["erflow", "ledger-check"])
    assert result.exit_code == 0 and "0 differences" in result.output, result.output


def _reads_at_head() -> None:
    """The application's models read the migrated rows (new columns at their defaults)."""
    from app.auth.models import User
    from app.engine.models import HumanTask, ProcessInstance
    from app.inbox import queries
    from app.notifications.models import Notification
    from app.trading.models import Certificate, Deposit

    reviewer = db.session.get(User, 1)
    todo = queries.list_tasks(user=reviewer, view="todo")
    assert {t.id for t in todo.items} == {TASK_OPEN, TASK_CLAIMED}  # queue and claimed indexes
    assert db.session.get(HumanTask, TASK_DONE).state == "completed"
    assert db.session.get(ProcessInstance, 2).summary["certificate"] == "JY-130102-2026-000001"
    mail = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.mail_attempts, n.mail_claimed_at) for n in mail] == [(0, None), (0, None)]
    assert mail[1].mailed_at == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    cert = db.session.scalar(select(Certificate))
    assert cert.total_price == 2500 and cert.amounts == {"SO2": "0.5000"}
    assert db.session.scalar(select(func.count()).select_from(Deposit)) == 2
