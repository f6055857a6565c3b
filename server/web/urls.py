"""Every URL the server writes, built so that none leads off the site unless it names another site's IRI.

- `local_url`: a path of ours, percent-encoded; it never starts with ``//`` (which a
  browser reads as another host), whatever the path holds.
- `href_of`: where a link to an IRI goes: our page for our IRIs, the IRI itself for
  other ``http(s)`` IRIs, and no link at all (the IRI shown as text) for anything else,
  such as ``javascript:`` or ``data:``.
- `public_url`: an absolute URL of this server, for the few answers that need one (the
  service description's endpoint, the reconciliation manifest, the workbench's share
  link). It is built from the configured base IRI (every IRI under the base answers at
  the same path here), or from the scheme and host a trusted proxy forwarded
  (``X-Forwarded-Proto``, ``X-Forwarded-Host``) with the base IRI's path, never from
  the client's ``Host`` header. Only a server that listens on a loopback address
  without a proxy keeps a loopback ``Host`` (``localhost``, ``127.0.0.1``, ``[::1]``),
  so that its links work on the machine it runs on.
- `install`: Flask's trailing-slash redirect (``/download`` to ``/download/``) answered
  with a relative ``Location`` of our own path, not an absolute URL built from ``Host``.
"""

from __future__ import annotations

from urllib.parse import quote
from urllib.parse import urlsplit

from flask import Flask
from flask import current_app
from flask import redirect
from flask import request
from werkzeug.routing import RequestRedirect

from server.common.config import Config
from server.common.vocab import Iris

PATH_SAFE = "/:@!$&'()*+,;=-._~"
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
LINKED_SCHEMES = ("http://", "https://")


def local_url(path: str) -> str:
    """The URL of a path of ours on this server, percent-encoded (a leading '/' of `path` as %2F)."""
    encoded = quote(path, safe=PATH_SAFE)
    if encoded.startswith("/"):
        encoded = "%2F" + encoded[1:]
    return request.script_root + "/" + encoded


def href_of(iris: Iris, iri: str) -> str | None:
    """Where a link to `iri` goes: our page, another site's http(s) IRI, or None (show it as text).

    >>> href_of(Iris("https://x.org/"), "https://y.org/a")
    'https://y.org/a'
    >>> href_of(Iris("https://x.org/"), "javascript:alert(1)") is None
    True
    """
    path = iris.path_of(iri)
    if path is not None:
        return local_url(path)
    return iri if iri.lower().startswith(LINKED_SCHEMES) else None


def public_root() -> str:
    """This server's public URL, ending in '/': the base IRI, a trusted proxy's host, or a loopback Host."""
    config: Config = current_app.extensions["urls"]
    if config.trusted_proxy:
        if "X-Forwarded-Host" in request.headers:  # waitress keeps it only from the trusted proxy
            return f"{request.scheme}://{request.host}{urlsplit(config.base_iri).path}"
    elif config.host in LOOPBACK and _hostname(request.host) in LOOPBACK:
        return request.url_root
    return config.base_iri


def _hostname(host: str) -> str | None:
    """The host name of a Host header value, without port or IPv6 brackets; None if malformed."""
    try:
        return urlsplit("//" + host).hostname
    except ValueError:
        return None


def public_url(path: str) -> str:
    """The absolute URL of `path`, a URL path of this app as `url_for` gives it."""
    if path.startswith(request.script_root):
        path = path[len(request.script_root) :]
    return public_root() + path.lstrip("/")


def install(app: Flask, config: Config) -> None:
    """Remember what `public_url` reads, and answer slash redirects with a relative Location."""
    app.extensions["urls"] = config

    @app.before_request
    def _relative_slash_redirect():
        exc = request.routing_exception
        if isinstance(exc, RequestRedirect):
            target = urlsplit(exc.new_url)
            path = "/" + target.path.lstrip("/")
            return redirect(path + ("?" + target.query if target.query else ""), code=exc.code)
        return None
