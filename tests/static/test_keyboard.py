"""Keyboard use: behaviour hangs only on elements Tab can reach. The CSP forbids inline handlers,
and app/static/js delegates clicks to [data-action], [data-dmn-action] and [data-back]; each such
element in a template must be a button, a link with href, or carry a tabindex."""
from __future__ import annotations

import re

from app.config import ROOT

TEMPLATES = sorted((ROOT / "app").rglob("templates/**/*.html"))
TAG = re.compile(r"<([a-zA-Z][\w-]*)\b([^>]*)>")
HOOKS = ("data-action", "data-dmn-action", "data-back")


def test_no_inline_event_handlers():
    found = [f"{p.relative_to(ROOT)}: {m.group(0)[:80]}"
             for p in TEMPLATES for m in re.finditer(r"\son[a-z]+\s*=", p.read_text("utf-8"))]
    assert not found, "\n".join(found)


def test_click_hooks_are_on_focusable_elements():
    bad = []
    for path in TEMPLATES:
        for tag, attrs in TAG.findall(path.read_text(encoding="utf-8")):
            if not any(re.search(rf"\b{hook}\b", attrs) for hook in HOOKS):
                continue
            focusable = (tag.lower() in ("button", "input", "select", "textarea", "summary")
                         or (tag.lower() == "a" and "href=" in attrs) or "tabindex=" in attrs)
            if not focusable:
                bad.append(f"{path.relative_to(ROOT)}: <{tag}{attrs[:60]}>")
    assert not bad, "click targets Tab cannot reach:\n" + "\n".join(bad)


def test_base_page_has_a_skip_link_to_main():
    base = (ROOT / "app" / "templates" / "base.html").read_text(encoding="utf-8")
    first_link = re.search(r"<a\b[^>]*>", base.split("<body>", 1)[1]).group(0)
    assert 'href="#main"' in first_link and "visually-hidden-focusable" in first_link
    assert '<main id="main"' in base
