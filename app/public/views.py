"""Pages of the public area (R38 disclosure, R39 certificate verification): no login needed."""
from flask import Blueprint, render_template

from app.public import services

bp = Blueprint("public", __name__, template_folder="templates", url_prefix="/public")


@bp.get("/")
def index():
    return render_template("public/index.html", publications=services.publications())
