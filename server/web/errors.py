"""Error responses: every PublisherError and HTTP error rendered in the format the client reads.

Views raise (server/common/errors.py); only this module builds error responses.
"""

from __future__ import annotations

import json
import logging

from flask import Flask
from flask import Response
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import default_exceptions

from server.common.errors import PublisherError
from server.common.errors import ResourceNotFound
from server.web.i18n import STRINGS

log = logging.getLogger(__name__)
# Werkzeug's generic English descriptions: a page shows its own translated explanation instead.
GENERIC = {exc.description for exc in default_exceptions.values()}


def _wants(kind: str) -> bool:
    path = request.path
    accept = request.headers.get("Accept", "")
    if path.endswith(".html"):
        return False
    if kind == "json":
        return path.endswith((".json", ".jsonld")) or path.startswith(
            ("/sparql", "/queries/", "/api", "/reconcile")
        ) and (
            "json" in accept or "html" not in accept
        )
    if kind == "text":
        return path.endswith((".ttl", ".nt", ".rdf", ".nq", ".trig")) or (
            "html" not in accept and "json" not in accept
        )
    return False


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, *, iri: str | None = None
) -> Response:
    """Render an error for the current request in the format the client can read.

    A page says what happened in the reader's language (strings.toml, ``http_{status}``) and shows
    `message`, the technical detail in English, unless it is Werkzeug's generic text; `iri` is the
    unknown IRI of a 404, which the page names in the reader's language.
    """
    if _wants("json"):
        body = json.dumps({"error": message, "status": status}, ensure_ascii=False)
        response = Response(body, status=status, mimetype="application/json")
    elif _wants("text"):
        response = Response(message + "\n", status=status, mimetype="text/plain")
    else:
        key = f"http_{status}" if f"http_{status}" in STRINGS else f"http_{status // 100}xx"
        detail = None if iri or message in GENERIC else message
        html = render_template("error.html", status=status, key=key, message=detail, iri=iri)
        response = Response(html, status=status, mimetype="text/html")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PublisherError)
    def _publisher_error(exc: PublisherError) -> Response:
        iri = exc.iri if isinstance(exc, ResourceNotFound) else None
        return error_response(exc.status, exc.message, exc.headers, iri=iri)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        headers = {}
        if exc.code == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        return error_response(exc.code or 500, exc.description or exc.name, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "Internal error; it has been logged.")
