"""Page-wide web concerns: language and time zone selection, template filters and globals."""
from __future__ import annotations

from babel import support
from flask import Flask, has_request_context, request, session
from flask_babel import Domain, get_locale
from flask_login import current_user

LANGUAGES = ("zh_CN", "en")


def select_locale() -> str:
    if not has_request_context():
        return "zh_CN"  # a command or the worker: messages read as written
    lang = request.args.get("lang")
    if request.path.startswith("/api/"):
        # Programs choose per request (?lang= or Accept-Language); without either the API answers
        # in Chinese, as it always has — never from a page session's choice.
        if lang in LANGUAGES:
            return lang
        best = request.accept_languages.best_match(("zh_CN", "zh", "en"))
        return "en" if best == "en" else "zh_CN"
    if lang in LANGUAGES:
        session["lang"] = lang
    signed_in = current_user and current_user.is_authenticated
    preferred = getattr(current_user, "locale", None) if signed_in else None
    return session.get("lang") or preferred or "zh_CN"


def select_timezone() -> str:
    return "Asia/Shanghai"  # R3


class CatalogDomain(Domain):
    """Flask-Babel's domain, also finding `<lang>_<TERRITORY>` catalogues: Babel resolves "zh_CN"
    to zh_Hans_CN, and gettext then looks only in zh_Hans_CN/ and zh/, never in our zh_CN/."""

    def get_translations(self):
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        key = (str(locale), self.domain[0])
        if key not in self.cache:
            names = [str(locale)]
            if locale.territory:
                names.append(f"{locale.language}_{locale.territory}")
            translations = support.Translations()
            for directory in self.translation_directories:
                catalog = support.Translations.load(directory, names, self.domain[0])
                translations.merge(catalog)
                if hasattr(catalog, "plural"):
                    translations.plural = catalog.plural
            self.cache[key] = translations
        return self.cache[key]


def init_web(app: Flask) -> None:
    from app.common.clock import local
    from app.extensions import babel

    babel.domain_instance = CatalogDomain()

    app.jinja_env.globals["get_locale"] = get_locale  # base.html picks <html lang> and the switcher

    @app.before_request
    def _remember_language():
        """A signed-in user's switch of language (?lang=) becomes their preference (user.locale),
        which mail and notices written while they are away follow."""
        lang = request.args.get("lang")
        if lang not in LANGUAGES or request.path.startswith("/api/"):
            return
        if current_user and current_user.is_authenticated and \
                getattr(current_user, "locale", lang) != lang:
            from app.extensions import db

            current_user.locale = lang
            db.session.commit()

    @app.template_filter("local_due")
    def local_due(value):
        """A deadline: midnight reads as 24:00 of the day before (R5, R6)."""
        from app.common.clock import deadline_text

        return deadline_text(value) if value else ""

    @app.template_filter("local_dt")
    def local_dt(value, fmt: str = "%Y-%m-%d %H:%M"):
        """UTC from the DB shown in Asia/Shanghai (R3)."""
        return local(value).strftime(fmt) if value else ""

    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; object-src 'none'",
        )
        return resp
