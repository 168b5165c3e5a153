"""Pages of the admin area (URL map and thin views)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")
