"""XSS-test helpers: numbered probes (so each field's probe can be found again), the escaped form
to look for, the raw forms that must never appear, the text fields of a JSON Schema form, and a
parser for the POST forms of a page."""
from __future__ import annotations

import re
from html.parser import HTMLParser

RAW = ("<script>alert(", "<img src=x onerror=")  # any probe, unescaped
_SEEN = re.compile(r"&lt;img src=x onerror=alert\((\d+)\)&gt;")


def probe(n: int, max_length: int | None = None) -> str:
    """The probe of field `n`: a script tag, an attribute break-out and an image handler; the
    attribute break-out and image handler alone where the field takes fewer characters."""
    full = f"<script>alert({n})</script>\"'><img src=x onerror=alert({n})>"
    if max_length is None or len(full) <= max_length:
        return full
    return f"\"'><img src=x onerror=alert({n})>"


def seen(body: str) -> set[int]:
    """The numbers of the probes a page shows escaped."""
    return {int(n) for n in _SEEN.findall(body)}


def raw_probes(body: str) -> list[str]:
    return [r for r in RAW if r in body]


def text_fields(schema: dict, prefix: str = "") -> dict[str, dict]:
    """Dotted name → sub-schema of every free-text input of a form (the names the task page
    posts): strings without `enum`/`const`, not dates, objects' properties recursively."""
    out: dict[str, dict] = {}
    for key, sub in (schema.get("properties") or {}).items():
        sub = sub or {}
        name = f"{prefix}{key}"
        kinds = sub.get("type", "string")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "object" in kinds or "properties" in sub:
            out.update(text_fields(sub, prefix=f"{name}."))
        elif "string" in kinds and not sub.get("enum") and "const" not in sub and sub.get(
                "format") not in ("date", "date-time"):
            out[name] = sub
        elif "array" in kinds and not (sub.get("items") or {}).get("enum"):
            out[name] = sub
    return out


def constrained(sub: dict) -> bool:
    """A text field that a probe cannot satisfy (a pattern): it is refused, shown again."""
    return "pattern" in sub


class PageForms(HTMLParser):
    """The POST forms of a page: action, inputs (name → type, value), select options, and what
    the page shows in each (`current`: a checked box, a selected option, a textarea's text)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {"action": a.get("action") or "", "id": a.get("id"), "inputs": {},
                          "options": {}, "current": {}}
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" in a:
                form["current"][name] = a.get("value") or "on"
            elif kind not in ("checkbox", "radio", "submit", "button", "file"):
                form["current"][name] = a.get("value") or ""
            if kind in ("checkbox", "radio") and name in form["inputs"]:
                return
            form["inputs"][name] = (kind, a.get("value") or "")
        elif tag == "textarea" and name:
            form["inputs"][name] = ("textarea", "")
            form["current"][name] = ""
            self._textarea = name
        elif tag == "select" and name:
            self._select = name
            form["inputs"][name] = ("select", "")
            form["options"][name] = []
        elif tag == "option" and self._select and a.get("value"):
            form["options"][self._select].append(a["value"])
            if "selected" in a:
                form["current"][self._select] = a["value"]

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["current"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        if tag == "select":
            self._select = None
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def page_forms(body: str) -> list[dict]:
    parser = PageForms()
    parser.feed(body)
    return parser.forms


TEXT_INPUTS = ("text", "search", "email", "url", "tel", "textarea")


def fill(form: dict, text) -> dict[str, str]:
    """Values for the inputs of `form`: `text(name)` for text inputs (None leaves one empty),
    the first option of a select or radio group, a valid number, date or hidden value;
    checkboxes stay unchecked."""
    data: dict[str, str] = {}
    for name, (kind, value) in form["inputs"].items():
        if kind in TEXT_INPUTS:
            chosen = text(name)
            if chosen is not None:
                data[name] = chosen
        elif kind == "select":
            options = form["options"].get(name) or []
            if options:
                data[name] = options[0]
        elif kind == "radio":
            data[name] = value
        elif kind == "number":
            data[name] = "1"
        elif kind == "date":
            data[name] = "2026-03-02"
        elif kind == "hidden":
            data[name] = value
    return data
