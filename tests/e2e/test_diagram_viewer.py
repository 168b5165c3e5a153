"""app/static/js/bpmn-view.js on the vendored bpmn-js: a diagram with its steps highlighted."""
from __future__ import annotations

import json
from pathlib import Path

DIAGRAM = (Path(__file__).parent / "diagram_with_layout.bpmn").read_text(encoding="utf-8")

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/vendor/bpmn-js/assets/diagram-js.css">
<link rel="stylesheet" href="/static/vendor/bpmn-js/assets/bpmn-js.css">
<link rel="stylesheet" href="/static/vendor/bpmn-js/assets/bpmn-font/css/bpmn.css">
</head><body>
<div class="erflow-diagram" data-bpmn-viewer data-xml-url="/__e2e/diagram.bpmn"
     data-completed='{completed}' data-active='{active}' aria-label="diagram"></div>
<script src="/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"></script>
<script src="/static/js/bpmn-view.js"></script>
</body></html>"""


def test_viewer_highlights_completed_and_active_steps(live_server, page, screenshot):
    completed, active = ["start", "f1", "fill", "f2"], ["review"]
    html = PAGE.format(completed=json.dumps(completed), active=json.dumps(active))
    # The browser answers for the page and the XML itself; scripts and css come from the server.
    page.route(
        f"{live_server}/__e2e/page",
        lambda route: route.fulfill(body=html, content_type="text/html"),
    )
    page.route(
        f"{live_server}/__e2e/diagram.bpmn",
        lambda route: route.fulfill(body=DIAGRAM, content_type="application/xml"),
    )
    page.goto(f"{live_server}/__e2e/page")
    page.wait_for_selector("[data-bpmn-viewer][data-state=ready]")
    assert page.locator('g.djs-element.erflow-completed[data-element-id="fill"]').count() == 1
    assert page.locator('g.djs-element.erflow-active[data-element-id="review"]').count() == 1
    assert page.locator('g.djs-element.erflow-active[data-element-id="fill"]').count() == 0
    fill = page.locator('g[data-element-id="fill"] .djs-visual > rect').first
    assert fill.evaluate("e => getComputedStyle(e).fill") == "rgb(209, 231, 221)"
    screenshot(page, "diagram_viewer")
