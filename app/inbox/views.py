"""Pages of the inbox area (URL map and thin views)."""
from flask import Blueprint

bp = Blueprint("inbox", __name__, template_folder="templates")
