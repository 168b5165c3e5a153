"""Pages of the trading area: the printable contract (R24) and certificate (R24, R39)."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.auth.access import actor, page_auth
from app.errors import NotFound
from app.trading import services

bp = Blueprint("trading", __name__, template_folder="templates", url_prefix="/trading")


@bp.get("/trades/<int:instance_id>/contract")
@page_auth()
def contract(instance_id: int):
    """The contract from the template, filled from the trade (its parties and bureaus only)."""
    inst = services.get_trade(user=actor(), instance_id=instance_id)
    return render_template("trading/contract.html", terms=services.contract_terms(inst))


@bp.get("/trades/<int:instance_id>/certificate")
@page_auth()
def certificate(instance_id: int):
    """The printable electronic certificate of a settled trade."""
    inst = services.get_trade(user=actor(), instance_id=instance_id)
    cert = services.certificate_of(inst.id)
    if cert is None:
        raise NotFound("该交易尚未出具排污权电子凭证")
    return render_template("trading/certificate.html",
                           cert=services.public_certificate(number=cert.number))
