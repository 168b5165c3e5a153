"""What `make install` / `make run` promise: the assets templates name exist, catalogues load,
and the migrations in migrations/ build exactly the schema the models declare."""
from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import inspect, text

from app import create_app
from app.config import ROOT
from app.extensions import db

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


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalogue(lang: str) -> dict[str, str]:
    """msgid → translation over every app/**/translations/<lang> catalogue (merged at run time)."""
    translated: dict[str, str] = {}
    for po in (ROOT / "app").rglob(f"translations/{lang}/LC_MESSAGES/messages.po"):
        with po.open("rb") as fh:
            for message in read_po(fh):
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                text = message.string if isinstance(message.string, str) else message.string[0]
                if msgid and text and not message.fuzzy:
                    translated[msgid] = text
    return translated


def _ui_strings() -> list[tuple[str, int, str]]:
    """(file, line, msgid) of every `_()` / `_l()` string of a template or module under app/."""
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
    methods = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    return [
        (filename, line, msgid if isinstance(msgid, str) else msgid[0])
        for filename, line, msgid, _comments, _context in extract_from_dir(
            str(ROOT / "app"), methods, keywords=keywords
        )
    ]


def test_every_ui_string_has_a_chinese_translation():
    """zh_CN is the default language: each `_()` / `_l()` string of a template or module has a
    translation in some app/**/translations/zh_CN catalogue (they are merged at run time). A
    msgid written in Chinese (an error message, see app/errors.py) is its own Chinese."""
    translated = _catalogue("zh_CN")
    missing = sorted(
        f"app/{filename}:{line}: {msgid}"
        for filename, line, msgid in _ui_strings()
        if msgid not in translated and not CJK.search(msgid)
    )
    assert not missing, (
        "add these to app/<domain>/translations/zh_CN/LC_MESSAGES/messages.po:\n"
        + "\n".join(missing)
    )


def _form_texts() -> dict[str, str]:
    """The words a person reads in forms/*.json: titles, descriptions, ui:help, ui:placeholder
    and ui:enumNames (nested fields included), each with the file that holds it."""
    import json

    texts: dict[str, str] = {}

    def walk(schema: dict, ui: dict, where: str) -> None:
        for value in (schema.get("title"), schema.get("description"), ui.get("ui:help"),
                      ui.get("ui:placeholder"), *(ui.get("ui:enumNames") or [])):
            if isinstance(value, str) and value.strip():
                texts.setdefault(value, where)
        for key, sub in (schema.get("properties") or {}).items():
            walk(sub or {}, ui.get(key) or {}, where)

    for path in sorted((ROOT / "forms").glob("*.schema.json")):
        ui_path = path.with_name(path.name.replace(".schema.json", ".ui.json"))
        ui = json.loads(ui_path.read_text(encoding="utf-8")) if ui_path.is_file() else {}
        walk(json.loads(path.read_text(encoding="utf-8")), ui, ui_path.name)
    return texts


def test_every_form_text_has_an_english_translation():
    """Forms are written in Chinese (the default language); app.inbox.forms.form_text shows them
    through gettext, so each text (help included) has English in an app/**/translations/en
    catalogue."""
    english = _catalogue("en")
    texts = _form_texts()
    assert texts, "no form texts found?"
    missing = sorted(f"forms/{where}: {text}" for text, where in texts.items()
                     if text not in english)
    assert not missing, (
        "add these to app/inbox/translations/en/LC_MESSAGES/messages.po:\n" + "\n".join(missing)
    )


def test_every_chinese_message_has_an_english_translation():
    """Errors, refusals and other messages are written in Chinese (the default language) as
    `_l("…%(name)s…", name=…)`; English pages (and API callers asking for English) read them
    from an app/**/translations/en catalogue, with the same placeholders."""
    english = _catalogue("en")
    problems = []
    for filename, line, msgid in _ui_strings():
        if not CJK.search(msgid):
            continue
        where = f"app/{filename}:{line}: {msgid}"
        if msgid not in english:
            problems.append(f"{where}  (no English)")
        elif set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(english[msgid])):
            problems.append(f"{where}  (placeholders differ: {english[msgid]})")
        elif CJK.search(english[msgid]):
            problems.append(f"{where}  (English still has Chinese: {english[msgid]})")
    assert not problems, (
        "add these to app/<domain>/translations/en/LC_MESSAGES/messages.po:\n"
        + "\n".join(sorted(set(problems)))
    )


def _index_definitions(engine) -> dict[str, str]:
    """Each index's DDL as the database keeps it (partial-index WHERE clauses included, which
    Alembic's comparison does not look at)."""
    if engine.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    else:
        query = (
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
        )
    with engine.connect() as connection:
        return dict(connection.execute(text(query)).all())


def _schema_from_models(database_url: str) -> dict[str, str]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "t"})
    with app.app_context():
        db.create_all()
        indexes = _index_definitions(db.engine)
        db.engine.dispose()
    return indexes


def test_migrations_build_the_schema_the_models_declare(empty_database_url, database_url):
    """`flask db upgrade` on an empty database, then Alembic's autogenerate comparison (and the
    indexes' DDL) find no difference from the models: a model changed without a migration fails
    here. Add one with `make migration m="what changed"` (README, "Schema changes")."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "t"})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.connect() as connection:
            options = {"compare_type": True, "compare_server_default": True}  # as migrations/env.py
            context = MigrationContext.configure(connection, opts=options)
            differences = compare_metadata(context, db.metadata)
        migrated_indexes = _index_definitions(db.engine)
        db.engine.dispose()
    assert differences == [], "models and migrations differ:\n" + "\n".join(map(str, differences))
    assert migrated_indexes == _schema_from_models(database_url)

    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert left == set(), f"downgrade left tables behind: {sorted(left)}"
