"""PublisherError and its subclasses; register_error_handlers renders them all.

Views raise; only this module builds error responses. Flask is imported only
where a response is built, so query workers can raise these errors without it.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from flask import Response

log = logging.getLogger(__name__)


class PublisherError(Exception):
    """A user-facing failure; `status` is its HTTP status."""

    status = 500
    headers: dict[str, str] = {}

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class MissingQuery(PublisherError):
    status = 400


class BadQuery(PublisherError):
    status = 400


class BadRequest(PublisherError):
    status = 400


class UpdateRefused(PublisherError):
    status = 403


class ServiceRefused(PublisherError):
    status = 403


class ResourceNotFound(PublisherError):
    status = 404

    def __init__(self, iri: str):
        super().__init__(f"Nothing is known about <{iri}>.")
        self.iri = iri


class NotAcceptable(PublisherError):
    status = 406


class QueryTooLarge(PublisherError):
    status = 413


class ResultTooLarge(PublisherError):
    status = 413


class UnsupportedMediaType(PublisherError):
    status = 415


class QueryTimedOut(PublisherError):
    status = 503


class QueryFailed(PublisherError):
    """The engine failed while reading the store; the cause is logged, not shown."""

    status = 500


# Build-time failures: __main__ maps them to exit codes.
class BuildError(Exception):
    """A stage of the build failed; the message says where and why."""


class SourceSyntaxError(BuildError):
    pass


class ShapesViolated(BuildError):
    def __init__(self, report):
        super().__init__(f"the graph breaks {len(report.problems)} shape constraint(s)")
        self.report = report


def _wants(kind: str) -> bool:
    from flask import request

    path = request.path
    accept = request.headers.get("Accept", "")
    if path.endswith(".html"):
        return False
    if kind == "json":
        return path.endswith((".json", ".jsonld")) or path.startswith(("/sparql", "/api", "/reconcile")) and (
            "json" in accept or "html" not in accept
        )
    if kind == "text":
        return path.endswith((".ttl", ".nt", ".rdf", ".nq", ".trig")) or (
            "html" not in accept and "json" not in accept
        )
    return False


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Render an error for the current request in the format the client can read."""
    from flask import Response
    from flask import render_template

    if _wants("json"):
        body = json.dumps({"error": message, "status": status}, ensure_ascii=False)
        response = Response(body, status=status, mimetype="application/json")
    elif _wants("text"):
        response = Response(message + "\n", status=status, mimetype="text/plain")
    else:
        html = render_template("error.html", status=status, message=message)
        response = Response(html, status=status, mimetype="text/html")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def register_error_handlers(app: Flask) -> None:
    from flask import request
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(PublisherError)
    def _publisher_error(exc: PublisherError) -> Response:
        return error_response(exc.status, exc.message, exc.headers)

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
