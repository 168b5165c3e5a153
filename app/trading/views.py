"""Pages of the trading area: the printable contract (R24) and certificate (R24, R39)."""
from __future__ import annotations

from flask import Blueprint, url_for

from app.auth.access import actor, page_auth
from app.auth.models import Enterprise
from app.errors import NotFound
from app.extensions import db
from app.public import pdf, printing
from app.trading import services

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
        raise NotFound("该交易尚未出具排污权电子凭证")
    verify_url = url_for("public.certificate", number=cert.number, _external=True)
    return pdf.document("trading/certificate.html", as_pdf=as_pdf, filename=cert.number,
                        cert=services.public_certificate(number=cert.number),
                        bureau=printing.issuing_bureau(cert.region_code),
                        verify_url=verify_url,
                        qr_svg=printing.qr_svg(verify_url, title=cert.number),
                        method_names=printing.METHOD_LABELS)
