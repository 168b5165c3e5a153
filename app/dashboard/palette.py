"""The dashboard charts' colours. Each is drawn on the white page and named by a legend or table
beside it, so each reaches 3:1 against white (WCAG 2.1 AA for graphics; tests/static checks
them); the deadline lights are the same colours as the inbox's (app/static/css/app.css)."""
from __future__ import annotations

COLOURS = {
    # deadline lights (R4/R5)
    "red": "#dc3545",
    "yellow": "#b58105",
    "green": "#198754",
    "none": "#6c757d",
    # instance status
    "running": "#0a58ca",
    "completed": "#198754",
    "incident": "#dc3545",
    "cancelled": "#6c757d",
    "terminated": "#6c757d",
    # timer worker
    "fresh": "#198754",
    "stale": "#dc3545",
    "waiting": "#b58105",
}
BAR = "#0a58ca"  # a plain (unstacked) bar
FALLBACK = "#6c757d"  # a part without a colour of its own
TEXT = "#212529"
