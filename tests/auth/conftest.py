"""Helpers for auth and admin tests."""
from __future__ import annotations

import re


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a rendered page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
