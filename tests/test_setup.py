"""What `make install` / `make run` promise: the assets templates name exist, catalogues load,
and the migrations in migrations/ build exactly the schema the models declare."""
from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.config import ROOT

STATIC = ROOT / "app" / "static"
STATIC_REF = re.compile(r"url_for\(\s*['\"]static['\"]\s*,\s*filename\s*=\s*['\"]([^'\"]+)['\"]")


def test_every_static_file_a_template_names_exists():
    """vendor/ files come from npm via scripts/vendor.sh; a missing one: the copy list is stale."""
    named = {
        (template.relative_to(ROOT), ref)
        for template in (ROOT / "app").rglob("*.html")
        for ref in STATIC_REF.findall(template.read_text(encoding="utf-8"))
    }
    assert named, "templates name no static files?"
    missing = sorted(f"{tpl}: {ref}" for tpl, ref in named if not (STATIC / ref).is_file())
    assert not missing, "run `make install`, or add it to scripts/vendor.sh:\n" + "\n".join(missing)


def test_pages_are_chinese_by_default_and_english_on_request(client):
    """The zh_CN catalogues are compiled (make) and found (Babel names the locale zh_Hans_CN)."""
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "跳到正文" in page
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page and "Skip to content" in page


def test_every_ui_string_has_a_chinese_translation():
    """zh_CN is the default language: each `_()` / `_l()` string of a template or module has a
    translation in some app/**/translations/zh_CN catalogue (they are merged at run time)."""
    translated = set()
    for po in (ROOT / "app").rglob("translations/zh_CN/LC_MESSAGES/messages.po"):
        with po.open("rb") as fh:
            for message in read_po(fh):
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                if msgid and message.string and not message.fuzzy:
                    translated.add(msgid)
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
    methods = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    missing = sorted(
        f"app/{filename}:{line}: {msgid if isinstance(msgid, str) else msgid[0]}"
        for filename, line, msgid, _comments, _context in extract_from_dir(
            str(ROOT / "app"), methods, keywords=keywords
        )
        if (msgid if isinstance(msgid, str) else msgid[0]) not in translated
    )
    assert not missing, (
        "add these to app/<domain>/translations/zh_CN/LC_MESSAGES/messages.po:\n"
        + "\n".join(missing)
    )
