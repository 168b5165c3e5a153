"""Certificate numbers (R39) stay unique when settlements run at once: a counter row per region
and year taken with UPDATE … RETURNING; the first number of a year is created in a savepoint and a
creator that lost the race takes the next serial. Several processes (as gunicorn workers) take
numbers at the same moment and every one is different."""
from __future__ import annotations

import multiprocessing
from datetime import date

from app.common import clock
from app.extensions import db
from app.trading import certificates
from app.trading.models import Certificate, CertificateCounter

RACERS = 4
DAY = date(2026, 3, 2)


def test_R39_two_settlements_in_flight_get_different_numbers(app):
    # both numbers are taken before either certificate is registered (what two concurrent
    # settlements see): counting the register would hand out 000001 twice
    first = certificates.next_number(region_code="330106", day=DAY)
    second = certificates.next_number(region_code="330106", day=DAY)
    assert first.startswith("PWQ-2026-330106-000001-")
    assert second.startswith("PWQ-2026-330106-000002-")
    other = certificates.next_number(region_code="130102", day=DAY)
    assert other.startswith("PWQ-2026-130102-000001-")
    assert certificates.signature_valid(first) and certificates.signature_valid(second)


def test_R39_counter_continues_after_certificates_issued_before_it(app, make_region_tree):
    make_region_tree()
    from app.auth.credit_code import make_credit_code
    from app.auth.models import Enterprise

    unit = Enterprise(name="存量单位", credit_code=make_credit_code(7), region_code="330106",
                      source_type="industrial", industry="化工", permit_class="key",
                      auto_monitoring=True, grade="B")
    db.session.add(unit)
    db.session.flush()
    body = "PWQ-2026-330106-000001"
    db.session.add(Certificate(
        number=f"{body}-{certificates.sign(body)}", instance_id=1, buyer_id=unit.id,
        seller="reserve:330106", region_code="330106", amounts={"COD": "1.0000"},
        price_per_tonne=4000, total_price=4000, method="auction", registration="standard",
        valid_from=DAY, valid_to=DAY, issued_at=clock.now()))
    db.session.flush()
    assert db.session.get(CertificateCounter, ("330106", 2026)) is None
    assert certificates.next_number(region_code="330106", day=DAY).startswith(
        "PWQ-2026-330106-000002-")
    assert db.session.get(CertificateCounter, ("330106", 2026)).last_serial == 2


def _take(url: str, barrier, results) -> None:
    """One web process: its own app and connection pool, taking one number and committing."""
    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        barrier.wait(timeout=60)
        try:
            number = certificates.next_number(region_code="330106", day=DAY)
            db.session.commit()
            results.put(number)
        except Exception as exc:  # reported, so the test shows what went wrong
            db.session.rollback()
            results.put(f"error: {exc!r}")


def test_R39_racing_processes_never_share_a_number(app, database_url):
    db.session.commit()  # the schema exists for the other processes
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(RACERS), ctx.Queue()
    procs = [ctx.Process(target=_take, args=(database_url, barrier, results))
             for _ in range(RACERS)]
    for p in procs:
        p.start()
    numbers = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert not [n for n in numbers if n.startswith("error")], numbers
    serials = sorted(int(n.split("-")[3]) for n in numbers)
    assert serials == list(range(1, RACERS + 1))
