"""Pages of the auth area (URL map and thin views)."""
from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")
