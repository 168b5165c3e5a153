"""Pages of the trading area: the printable contract (R24) and certificate (R24, R39)."""
from __future__ import annotations

from flask import Blueprint, render_template, url_for

from app.auth.access import actor, page_auth
from app.auth.models import Enterprise
from app.errors import NotFound
from app.extensions import db
from app.public import printing
from app.trading import services

bp = Blueprint("trading", __name__, template_folder="templates", url_prefix="/trading")


@bp.get("/trades/<int:instance_id>/contract")
@page_auth()
def contract(instance_id: int):
    """The contract from the template, filled from the trade (its parties and bureaus only), under
    the handling bureau's name and a document number derived from the trade (stable on reprint)."""
    inst = services.get_trade(user=actor(), instance_id=instance_id)
    region = inst.handling_region
    if region is None and inst.enterprise_id:
        buyer = db.session.get(Enterprise, inst.enterprise_id)
        region = buyer.region_code if buyer else None
    number = printing.document_number(region_code=region, word="交易", when=inst.started_at,
                                      serial=inst.id)
    return render_template("trading/contract.html", terms=services.contract_terms(inst),
                           bureau=printing.issuing_bureau(region), number=number,
                           method_names=printing.METHOD_LABELS)


@bp.get("/trades/<int:instance_id>/certificate")
@page_auth()
def certificate(instance_id: int):
    """The printable electronic certificate of a settled trade, with a QR code of its public
    verification address (R39)."""
    inst = services.get_trade(user=actor(), instance_id=instance_id)
    cert = services.certificate_of(inst.id)
    if cert is None:
        raise NotFound("该交易尚未出具排污权电子凭证")
    verify_url = url_for("public.certificate", number=cert.number, _external=True)
    return render_template("trading/certificate.html",
                           cert=services.public_certificate(number=cert.number),
                           bureau=printing.issuing_bureau(cert.region_code),
                           verify_url=verify_url,
                           qr_svg=printing.qr_svg(verify_url, title=cert.number),
                           method_names=printing.METHOD_LABELS)
