"""The publisher's exceptions: each kind of user mistake or failure, with its HTTP status.

Views and engines raise these; server/web/errors.py renders them. Nothing here imports
Flask, so query workers can raise them.
"""

from __future__ import annotations

import re


class PublisherError(Exception):
    """A user-facing failure; `status` is its HTTP status, `headers` any it must carry."""

    status = 500
    headers: dict[str, str] = {}

    def __init__(self, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if headers:
            self.headers = {**self.headers, **headers}


class BadRequest(PublisherError):
    """The request cannot be understood (400); the subclasses say which part."""

    status = 400


class MissingQuery(BadRequest):
    """/sparql asked without a query."""


class BadQuery(BadRequest):
    """The query is not valid SPARQL (the engine's message says where)."""


class QueryTooDeep(BadQuery):
    """The query nests brackets deeper than the endpoint accepts."""


class UpdateAsQuery(BadQuery):
    """SPARQL Update text sent as a query (400: a query it is not; 403 is for updates sent as updates)."""


_PARSER_MESSAGE = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)


class QuerySyntaxError(BadQuery):
    """The query does not parse. `line` and `column` (from 1, in characters) say where the parser
    stopped, when its message tells; `detail` is what it says there (such as "expected one of ...").

    >>> error = QuerySyntaxError("error at 3:11: expected one of ABS, AVG")
    >>> error.line, error.column, error.detail
    (3, 11, 'expected one of ABS, AVG')
    >>> error.message
    'The query is not valid SPARQL: error at 3:11: expected one of ABS, AVG'
    """

    def __init__(self, parser_message: str):
        super().__init__(f"The query is not valid SPARQL: {parser_message}")
        where = _PARSER_MESSAGE.match(parser_message)
        self.line = int(where.group(1)) if where else None
        self.column = int(where.group(2)) if where else None
        self.detail = where.group(3) if where else parser_message


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


class ServiceBusy(PublisherError):
    """Too busy to take the request now (503); the client may try again after Retry-After."""

    status = 503
    headers = {"Retry-After": "5"}


class EngineTimedOut(PublisherError):
    """A remote engine did not answer in time."""

    status = 504


# The command line's exit codes (README.md, "Exit codes"); each failure below carries its own.
EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_ENGINE = 3
EXIT_SYSTEM = 4
EXIT_BUG = 70
EXIT_INTERRUPTED = 130
EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_INVALID: "the data or the shapes are invalid (a syntax error, a shape violated or not supported, "
    "a release description that breaks DCAT-AP or its counts)",
    EXIT_USAGE: "usage: an unknown command or flag, a bad setting, a missing input file or column",
    EXIT_ENGINE: "the remote SPARQL engine refused or cannot be reached",
    EXIT_SYSTEM: "a file, folder or port cannot be used (permission, disk full, port taken)",
    EXIT_BUG: "an unexpected error, a bug: please report it (--log-level DEBUG shows where)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}


# Build-time failures: the command line exits with their exit_code.
class BuildError(Exception):
    """A stage of the build failed; the message says where and why."""

    exit_code = EXIT_INVALID


class SourceSyntaxError(BuildError):
    """A source or shapes file does not parse; the message names the file, line and column."""


class ShapesUnsupported(BuildError, ValueError):
    """The shapes use something the validator cannot check exactly, or are not well-formed SHACL.

    The message names the shape and the term; nothing is skipped silently.
    """


class ShapesUnusable(BuildError):
    """The shapes do not parse, or use what the validator does not support."""


class ShapesViolated(BuildError):
    """The graph has SHACL results of a severity that refuses a release (Config.blocking)."""

    def __init__(self, report, blocking: list):
        super().__init__(f"the graph breaks {len(blocking)} shape constraint(s)")
        self.report = report


class DescriptionRefused(ShapesViolated):
    """The release's description breaks the DCAT-AP shapes, or its files do not hold what it counts."""

    def __init__(self, report):
        BuildError.__init__(
            self, f"the release's description breaks {len(report.violations)} DCAT-AP or count constraint(s)"
        )
        self.report = report
