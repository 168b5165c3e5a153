"""Pages of the trading area: the printable contract (R24) and certificate (R24, R39), a
trade's mediation (R25): its requests, their outcome, and the form a party files one with, and
public bidding (R20): a sale's bids, and the bid page a unit bids or registers from."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.access import actor, page_auth
from app.auth.models import Enterprise
from app.common import clock
from app.errors import Conflict, DomainError, NotFound, RuleViolation, ValidationFailed
from app.extensions import db
from app.public import pdf, printing, sales
from app.public.services import remaining
from app.trading import bidding, mediation, services

bp = Blueprint("trading", __name__, template_folder="templates", url_prefix="/trading")


@bp.get("/trades/<int:instance_id>/contract", defaults={"as_pdf": False})
@bp.get("/trades/<int:instance_id>/contract.pdf", defaults={"as_pdf": True},
        endpoint="contract_pdf")
@page_auth()
def contract(instance_id: int, as_pdf: bool):
    """The contract from the template, filled from the trade (its parties and bureaus only), under
    the handling bureau's name and a document number derived from the trade (stable on reprint);
    a page or a PDF."""
    inst = services.get_trade(user=actor(), instance_id=instance_id)
    region = inst.handling_region
    if region is None and inst.enterprise_id:
        buyer = db.session.get(Enterprise, inst.enterprise_id)
        region = buyer.region_code if buyer else None
    number = printing.document_number(region_code=region, word="交易", when=inst.started_at,
                                      serial=inst.id)
    return pdf.document("trading/contract.html", as_pdf=as_pdf, filename=number,
                        terms=services.contract_terms(inst),
                        bureau=printing.issuing_bureau(region), number=number,
                        method_names=printing.METHOD_LABELS)


@bp.get("/trades/<int:instance_id>/certificate", defaults={"as_pdf": False})
@bp.get("/trades/<int:instance_id>/certificate.pdf", defaults={"as_pdf": True},
        endpoint="certificate_pdf")
@page_auth()
def certificate(instance_id: int, as_pdf: bool):
    """The printable electronic certificate of a settled trade, with a QR code of its public
    verification address (R39); a page or a PDF, for the trade's parties and bureaus."""
    inst = services.get_trade(user=actor(), instance_id=instance_id)
    cert = services.certificate_of(inst.id)
    if cert is None:
        raise NotFound(_l("该交易尚未出具排污权电子凭证"))
    verify_url = url_for("public.certificate", number=cert.number, _external=True)
    return pdf.document("trading/certificate.html", as_pdf=as_pdf, filename=cert.number,
                        cert=services.public_certificate(number=cert.number),
                        bureau=printing.issuing_bureau(cert.region_code),
                        verify_url=verify_url,
                        qr_svg=printing.qr_svg(verify_url, title=cert.number),
                        method_names=printing.METHOD_LABELS)


def _render_mediation(inst, *, reason: str = "", errors=None, refusal=None, status: int = 200):
    from app.inbox.queries import can_view_instance

    user = actor()
    rows = mediation.requests_of(user=user, instance_id=inst.id)
    may_file = (mediation.filing_party(user, inst) is not None and inst.status == "running"
                and not any(r.status == "open" for r in rows))
    return render_template(
        "trading/mediation.html", inst=inst, items=[mediation.answer(r) for r in rows],
        may_file=may_file, reason=reason, errors=errors or {}, refusal=refusal,
        reason_max=mediation.REASON_MAX, trade_page=can_view_instance(user, inst),
    ), status


@bp.route("/trades/<int:instance_id>/mediation", methods=["GET", "POST"])
@page_auth()
def trade_mediation(instance_id: int):
    """R25: a trade's mediation requests with their state and outcome (its parties and the
    bureaus over it); a party files one here, through the same service as
    `POST /api/v1/trades/{id}/mediation`."""
    inst = services.get_trade(user=actor(), instance_id=instance_id)  # R7: 404 for outsiders
    if request.method == "GET":
        return _render_mediation(inst)
    reason = (request.form.get("reason") or "").strip()
    try:
        mediation.request_mediation(user=actor(), instance_id=inst.id, reason=reason)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        return _render_mediation(inst, reason=reason, status=422,
                                 errors=exc.localized_fields() or {"reason": [exc.localized()]})
    except (Conflict, RuleViolation) as exc:
        db.session.rollback()
        return _render_mediation(inst, reason=reason, status=exc.status,
                                 refusal=_("%(message)s（%(rule)s）", message=exc.localized(),
                                           rule=exc.rule) if exc.rule else exc.localized())
    flash(_("Your request for mediation has been filed. The trading administration mediates "
            "and informs both parties of the outcome."), "success")
    return redirect(url_for("trading.trade_mediation", instance_id=inst.id))


@bp.get("/trades/<int:instance_id>/bids")
@page_auth()
def bids(instance_id: int):
    """R20: a trade's bids as the signed-in user may see them — bureau staff over the trade every
    bidder, a bidder or the seller the prices, a call auction sealed until its close (404 for
    anyone else)."""
    board = bidding.list_bids(user=actor(), instance_id=instance_id)
    return render_template("trading/bids.html", board=board,
                           inst=bidding.public_sale(instance_id),
                           method_names=printing.METHOD_LABELS)


def _refusal_messages(exc: DomainError) -> list[str]:
    """A refusal as the page shows it: the message with its rule, then any field detail."""
    if isinstance(exc, ValidationFailed) and (exc.localized_fields() or {}).get(
            "price_per_tonne"):
        return exc.localized_fields()["price_per_tonne"]
    rule = getattr(exc, "rule", None)
    head = _("%(message)s（%(rule)s）", message=exc.localized(), rule=rule) if rule \
        else exc.localized()
    details = [m for ms in (exc.localized_fields() or {}).values() for m in ms]
    return [head, *details]


def _render_bid(inst, *, form=None, errors=None, status: int = 200):
    user = actor()
    board = bidding.bidder_board(user=user, instance_id=inst.id)
    refusal = bidding.standing_refusal(user=user, instance_id=inst.id)
    sale = sales.announced(inst)
    return render_template(
        "trading/bid.html", inst=inst, sale=sale, board=board,
        refusal=_refusal_messages(refusal) if refusal else None,
        show_form=refusal is None or bool(errors), form=form or {}, errors=errors or {},
        registering=bidding.registration(inst.summary or {}, board.phase),
        how_to_bid=sales.HOW_TO_BID.get(sale.method), now=clock.now(), remaining=remaining,
        bids_page=bool(board.items) or services.party_of(user, inst) is not None,
        method_names=printing.METHOD_LABELS,
    ), status


@bp.route("/trades/<int:instance_id>/bid", methods=["GET", "POST"])
@page_auth()
def bid(instance_id: int):
    """R20, R27a: a public sale (R38: what its announcement shows, the bidding's state, the best
    price where it is open) with the caller's own bids, and the form a unit bids or registers
    with, through the same service as `POST /api/v1/trades/{id}/bids`; its refusal shows at the
    price with the input kept."""
    inst = bidding.public_sale(instance_id)  # 404: no such sale
    if request.method == "GET":
        return _render_bid(inst)
    form = {"price_per_tonne": (request.form.get("price_per_tonne") or "").strip()[:40],
            "register": bool(request.form.get("register")),
            "project_name": (request.form.get("project_name") or "").strip()[:200]}
    registering = bidding.registration(
        inst.summary or {}, bidding.bidder_board(user=actor(), instance_id=inst.id).phase)
    if registering and not form["register"]:
        return _render_bid(inst, form=form, status=422, errors={"register": [
            _("Tick the box to register as an intended buyer at the listed price.")]})
    if not registering and not form["price_per_tonne"]:
        return _render_bid(inst, form=form, status=422, errors={"price_per_tonne": [
            _("Enter your price per tonne.")]})
    try:
        placed = bidding.place_bid(user=actor(), instance_id=inst.id,
                                   price=None if registering else form["price_per_tonne"],
                                   project_name=form["project_name"])
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        field = "register" if registering else "price_per_tonne"
        return _render_bid(inst, form=form, status=exc.status,
                           errors={field: _refusal_messages(exc)})
    if registering:
        flash(_("You are registered as an intended buyer at the listed price of %(price)s yuan "
                "per tonne.", price=placed.price_per_tonne), "success")
    else:
        flash(_("Your bid of %(price)s yuan per tonne has been placed.",
                price=placed.price_per_tonne), "success")
    return redirect(url_for("trading.bid", instance_id=inst.id, _anchor="my-bids"))
