"""Pages of the public area (URL map and thin views)."""
from flask import Blueprint

bp = Blueprint("public", __name__, template_folder="templates")
