"""Step and process names come from the diagrams in Chinese; the English pages show them through
form_text() and app/inbox/translations/en, so an English inbox, task page and instance page read
in English while the Chinese pages are unchanged."""
from __future__ import annotations

import re

from babel.messages.pofile import read_po

from app.config import ROOT
from tests.inbox.test_pages import open_task

SHOWN = ("process", "userTask", "startEvent", "endEvent", "intermediateCatchEvent",
         "boundaryEvent", "scriptTask", "callActivity")


def test_every_step_name_of_the_diagrams_has_english():
    english = set()
    for po in (ROOT / "app").rglob("translations/en/LC_MESSAGES/messages.po"):
        with po.open("rb") as fh:
            english |= {m.id for m in read_po(fh) if m.id and m.string and not m.fuzzy}
    names = {
        (path.name, name)
        for path in (ROOT / "bpmn").glob("*.bpmn")
        for tag, name in re.findall(r'<bpmn:(\w+) [^>]*?name="([^"]+)"', path.read_text("utf-8"))
        if tag in SHOWN
    }
    missing = sorted(f"bpmn/{f}: {n}" for f, n in names if n not in english)
    assert not missing, (
        "add these to app/inbox/translations/en/LC_MESSAGES/messages.po:\n" + "\n".join(missing))


def test_inbox_task_and_instance_pages_name_steps_in_the_pages_language(
        client, login, staff, start_allocation):
    info = start_allocation(staff["handler"])
    task = open_task("draft")
    login(client, staff["handler"])
    html = client.get("/inbox?lang=en").get_data(as_text=True)
    assert "Draft the amounts" in html and "拟定核定量" not in html
    assert f"Initial emission rights allocation #{info.id}" in html
    page = client.get(f"/inbox/tasks/{task.id}").get_data(as_text=True)
    assert "<h1 class=\"h4\">Draft the amounts</h1>" in page
    assert "Initial emission rights allocation" in page
    page = client.get(f"/inbox/instances/{info.id}").get_data(as_text=True)
    assert "Initial emission rights allocation #" in page and "Draft the amounts" in page
    assert "初始排污权核定" not in page.split("<main", 1)[1].split("data-bpmn-viewer")[0]
    zh = client.get(f"/inbox/tasks/{task.id}?lang=zh_CN").get_data(as_text=True)
    assert "<h1 class=\"h4\">拟定核定量</h1>" in zh and "初始排污权核定" in zh
    zh = client.get("/inbox").get_data(as_text=True)
    assert "拟定核定量" in zh and f"初始排污权核定 #{info.id}" in zh
