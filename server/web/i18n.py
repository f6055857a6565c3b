"""The interface in Japanese and English: the strings, and which language a request gets.

The language of a page is, first match wins:

1. the ``lang`` query parameter (``?lang=ja``, ``?lang=en``), which is also
   remembered in the ``lang`` cookie for a year (``Secure`` when the site is
   reached by https; the response that sets it is marked ``private``, so that no
   shared cache keeps the cookie for others);
2. the ``lang`` cookie;
3. the ``Accept-Language`` header;
4. English.

Every page links to itself in the other language (``lang_url``: its own path,
percent-encoded, so that no path a client asks for can make the link leave the
site), and the templates read their words through ``t("key")``.

>>> translate("search", "ja")
'検索'
>>> pick({"ja": "総務省", "en": "MIC"}, "en")
'MIC'
>>> pick({"ja": "総務省"}, "en")
'総務省'
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib.resources import files
from urllib.parse import urlencode

from flask import Blueprint
from flask import Response
from flask import request

from server.common.config import Config
from server.web.urls import local_url
from server.web.urls import public_root

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "en"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Query parameters a language link keeps; anything else is dropped.
KEPT_PARAMETERS = ("q", "query", "format", "type")
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}

# key -> {"ja": ..., "en": ...}, from strings.toml beside this module
STRINGS: dict[str, dict[str, str]] = tomllib.loads(files(__package__).joinpath("strings.toml").read_text("utf-8"))


def translate(key: str, lang: str, **values: object) -> str:
    """The interface string `key` in `lang`, with ``{name}`` fields filled from `values`.

    :raises KeyError: for an unknown key (a template typo fails its test, not silently).
    """
    text = STRINGS[key].get(lang) or STRINGS[key][DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def pick(texts: Mapping[str, str], lang: str) -> str:
    """The text of `texts` (language -> text) in `lang`, else English, else Japanese, else any, else ""."""
    for code in (lang, DEFAULT_LANGUAGE, "ja", ""):
        if texts.get(code):
            return texts[code]
    return next(iter(texts.values()), "")


def choose_language() -> str:
    """The language of the current request's page: ``lang`` parameter, cookie, Accept-Language, English."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def lang_url(code: str) -> str:
    """This page's URL in language `code`, keeping the parameters that say what the page shows.

    Resource pages keep none: their bodies are cached per language and shared between requests.
    """
    cached = (request.blueprint or "") == "resources"
    params = [(name, value) for name, value in request.args.items(multi=True) if name in KEPT_PARAMETERS and not cached]
    return local_url(request.path[1:]) + "?" + urlencode(params + [("lang", code)])


def make_blueprint(config: Config) -> Blueprint:
    """Blueprint "i18n": gives every template `lang`, `t`, `pick` and `lang_url`, and remembers ``?lang=``."""
    blueprint = Blueprint("i18n", __name__)

    @blueprint.app_context_processor
    def language_context() -> dict:
        lang = choose_language()
        return {
            "lang": lang,
            "languages": LANGUAGE_NAMES,
            "t": lambda key, **values: translate(key, lang, **values),
            "pick": lambda texts: pick(texts, lang),
            "lang_url": lang_url,
        }

    @blueprint.after_app_request
    def remember_language(response: Response) -> Response:
        asked = request.args.get("lang")
        if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
            secure = public_root().startswith("https://")
            response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True, secure=secure)
            response.cache_control.public = False
            response.cache_control.private = True
        if response.mimetype == "text/html":
            response.vary.add("Cookie")
        return response

    return blueprint
