"""Page tests render base.html, which links to inbox.index and public.index. Until those pages
exist, give the endpoints a placeholder rule on the test app only (never in their modules)."""
from __future__ import annotations

import pytest


@pytest.fixture
def app(app):
    for endpoint in ("inbox.index", "public.index"):
        if endpoint not in app.view_functions:
            app.add_url_rule(f"/_placeholder/{endpoint}", endpoint=endpoint, view_func=lambda: "")
    return app


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a rendered page."""
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
