"""Pages of the public area (R38 disclosure, R39 certificate verification): no login needed."""
from flask import Blueprint, render_template, request

from app.errors import NotFound
from app.public import services
from app.trading.services import public_certificate

bp = Blueprint("public", __name__, template_folder="templates", url_prefix="/public")


@bp.get("/")
def index():
    return render_template("public/index.html", publications=services.publications())


@bp.get("/certificates")
@bp.get("/certificates/<number>")
def certificate(number: str | None = None):
    """R39: verify a certificate by its number (a forged or altered number is not found)."""
    number = (number or request.args.get("number") or "").strip()
    cert, status = None, 200
    if number:
        try:
            cert = public_certificate(number=number)
        except NotFound:
            status = 404
    return render_template("public/certificate.html", number=number, cert=cert), status
