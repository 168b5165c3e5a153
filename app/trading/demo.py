"""Demo trades for `flask erflow seed-demo` (needs the trade diagrams deployed): a reserve sale by
auction at the fee standard awaiting the subject review (R20), a reserve sale by listing announced
and taking bids on the public portal (R20, R38), a surplus transfer awaiting the
tradable-amount certification (R19) whose buyer has taken a price dispute to mediation (R25),
and a green-channel purchase in Hebei taken to its
certificate (R29, R24, R39), so the public register (R38) and verification have an entry."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app import engine
from app.auth.models import Enterprise, User
from app.engine.models import ProcessInstance, ProcessVersion
from app.extensions import db
from app.ledger import services as ledger

XIHU = "330106"
CHANGAN = "130102"  # 石家庄市长安区: Hebei, where the green channel applies (R29)


def _uid(username: str) -> int | None:
    return db.session.scalar(select(User.id).where(User.username == username))


def seed_trades(enterprises: dict[str, Enterprise]) -> int:
    """Start the demo trades once; returns how many were started."""
    if db.session.scalar(select(ProcessVersion.id).where(ProcessVersion.key == "trade")
                         .limit(1)) is None:
        return 0
    if db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.key == "trade")
                         .limit(1)) is not None:
        return 0
    buyer, seller = enterprises["zhijiang_chem"], enterprises["xixi_power"]
    term = {"valid_from": date(2026, 1, 1), "valid_to": date(2030, 12, 31)}
    ledger.register_lot(owner=f"reserve:{XIHU}", pollutant="COD", tonnes="10.0000",
                        acquisition="free", **term)
    ledger.register_lot(owner=seller.id, pollutant="SO2", tonnes="6.0000", acquisition="paid",
                        **term)
    actor = _uid("zhijiang_chem")
    starts = [
        {"seller": f"reserve:{XIHU}", "amounts": {"COD": "1.5000"}, "method": "auction",
         "price_per_tonne": "4200.00",
         "project": {"name": "精细化工扩建项目", "substitution": {"COD": "1.5000"}}},
        {"seller": str(seller.id), "amounts": {"SO2": "2.0000"}, "method": "agreement",
         "price_per_tonne": "1500.00",
         "project": {"name": "导热油炉改造项目", "substitution": {"SO2": "2.0000"}}},
    ]
    started = [engine.start("trade", data, actor_id=actor, enterprise_id=buyer.id)
               for data in starts]
    _open_mediation(started[1].id)
    return (len(starts) + _open_listing(enterprises["xixi_power"])
            + _completed_green_trade(enterprises["changan_steel"], term))


def _run_steps(info, steps):
    for name, data, actor in steps:
        task = next(t for t in info.active_tasks if t.name == name)
        info = engine.complete(task.id, data, actor_id=actor)
    return info


def _open_listing(buyer: Enterprise) -> int:
    """R20, R38: 0.8 t COD of the 西湖区 reserve listed at 4500.00 yuan/t, reviewed and its
    deposit paid, so the sale is announced on /public/sales and other units can take part."""
    info = engine.start("trade", {
        "seller": f"reserve:{XIHU}", "amounts": {"COD": "0.8000"}, "method": "listing",
        "price_per_tonne": "4500.00",
        "project": {"name": "热电联产机组扩容项目", "substitution": {"COD": "0.8000"}},
    }, actor_id=_uid("xixi_power"), enterprise_id=buyer.id)
    _run_steps(info, (
        ("subject_review", {"review_decision": "approved", "opinion": "主体资格符合要求"},
         _uid("xihu_reviewer")),
        ("confirm_deposit", {"deposit_reference": "BZJ-DEMO-0001"}, _uid("xihu_handler"))))
    return 1


def _open_mediation(trade_id: int) -> None:
    """R25: the buyer of the surplus transfer takes a price dispute to mediation; the 西湖区
    handlers (xihu_handler) find the 调解 task in their inbox."""
    from app.trading import mediation

    if db.session.scalar(select(ProcessVersion.id).where(
            ProcessVersion.key == mediation.PROCESS_KEY).limit(1)) is None:
        return
    user = db.session.get(User, _uid("zhijiang_chem"))
    mediation.request_mediation(
        user=user, instance_id=trade_id,
        reason="卖方要求在协议价 1500.00 元/吨之外另付改造分摊费用，双方对价款构成有争议。")


def _completed_green_trade(buyer: Enterprise, term: dict) -> int:
    """R29: 0.5 t SO2 from the 长安区 reserve by agreement at the benchmark price (R21), signed and
    settled: simplified registration, a certificate, the permit change left to the unit."""
    ledger.register_lot(owner=f"reserve:{CHANGAN}", pollutant="SO2", tonnes="5.0000",
                        acquisition="free", **term)
    unit = _uid("changan_steel")
    info = engine.start("trade", {
        "seller": f"reserve:{CHANGAN}", "amounts": {"SO2": "0.5000"}, "method": "agreement",
        "price_per_tonne": "5000.00",
        "project": {"name": "烧结烟气超低排放改造配套项目", "substitution": {"SO2": "0.5000"}},
    }, actor_id=unit, enterprise_id=buyer.id)
    _run_steps(info, (("sign_contract", {"contract_decision": "sign"}, unit),
                      ("confirm_settlement", {"settlement_reference": "JS-DEMO-0001"},
                       _uid("changan_reviewer"))))
    return 1
