"""The publisher's exceptions: each kind of user mistake or failure, with its HTTP status.

Views and engines raise these; server/web/errors.py renders them. Nothing here imports
Flask, so query workers can raise them.
"""

from __future__ import annotations


class PublisherError(Exception):
    """A user-facing failure; `status` is its HTTP status, `headers` any it must carry."""

    status = 500
    headers: dict[str, str] = {}

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(PublisherError):
    """The request cannot be understood (400); the subclasses say which part."""

    status = 400


class MissingQuery(BadRequest):
    """/sparql asked without a query."""


class BadQuery(BadRequest):
    """The query is not valid SPARQL (the engine's message says where)."""


class Refused(PublisherError):
    """The endpoint will not do what was asked (403)."""

    status = 403


class UpdateRefused(Refused):
    """A SPARQL Update sent to the read-only endpoint."""


class ServiceRefused(Refused):
    """A SERVICE clause naming an endpoint that is not allow-listed."""


class ResourceNotFound(PublisherError):
    status = 404

    def __init__(self, iri: str):
        super().__init__(f"Nothing is known about <{iri}>.")
        self.iri = iri


class NotAcceptable(PublisherError):
    """No format we offer matches the Accept header, suffix or format parameter."""

    status = 406


class TooLarge(PublisherError):
    """Over a size cap (413)."""

    status = 413


class QueryTooLarge(TooLarge):
    """The query text or request body is over the cap."""


class ResultTooLarge(TooLarge):
    """The serialised answer is over the cap."""


class UnsupportedMediaType(PublisherError):
    status = 415


class QueryFailed(PublisherError):
    """The engine failed while reading the store; the cause is logged, not shown."""

    status = 500


class EngineUnavailable(PublisherError):
    """A remote engine cannot be reached or failed."""

    status = 502


class QueryTimedOut(PublisherError):
    """The query ran past its deadline and was stopped."""

    status = 503


class EngineTimedOut(PublisherError):
    """A remote engine did not answer in time."""

    status = 504


# Build-time failures: the command line maps them to exit codes.
class BuildError(Exception):
    """A stage of the build failed; the message says where and why."""


class SourceSyntaxError(BuildError):
    pass


class ShapesUnusable(BuildError):
    """The shapes do not parse, or use what the validator does not support."""


class ShapesViolated(BuildError):
    def __init__(self, report):
        super().__init__(f"the graph breaks {len(report.problems)} shape constraint(s)")
        self.report = report
