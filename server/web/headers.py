"""The security headers every response carries.

- ``Content-Security-Policy``: scripts, styles, images and fonts only from this server
  (no inline script, no inline event handlers: the pages' scripts are files under
  static/), forms only to this server, no plugins, no ``<base>``, and no framing by
  any page (``frame-ancestors 'none'``, also said as ``X-Frame-Options: DENY`` for old
  browsers). The one page made to be framed, the reconciliation preview card that
  OpenRefine shows in an iframe, may be framed by any site (`embeddable`). The
  workbench's editor (CodeMirror) writes its theme into ``<style>`` elements; a page
  that calls `style_nonce` lets the style elements carrying that response's nonce apply.
- ``X-Content-Type-Options: nosniff``: a browser takes every answer as its declared type.
- ``Referrer-Policy: strict-origin-when-cross-origin``: another site learns only that
  a visitor came from this one, not which query or page.
"""

from __future__ import annotations

import secrets

from flask import Flask
from flask import Response
from flask import g

POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)
STYLES = "style-src 'self'"
NOT_FRAMED = "frame-ancestors 'none'"


def policy(*, styles: str = STYLES, frames: str = NOT_FRAMED) -> str:
    """The Content-Security-Policy value, with its style-src and frame-ancestors directives."""
    return "; ".join((*POLICY, styles, frames))


def embeddable(response: Response) -> Response:
    """Let any site frame `response` (the reconciliation preview card)."""
    response.headers["Content-Security-Policy"] = policy(frames="frame-ancestors *")
    return response


def style_nonce() -> str:
    """This response's nonce for ``<style>`` elements (made on first call; its CSP then allows them)."""
    if "style_nonce" not in g:
        g.style_nonce = secrets.token_urlsafe(18)
    return g.style_nonce


def install(app: Flask) -> None:
    app.jinja_env.globals["style_nonce"] = style_nonce

    @app.after_request
    def _security_headers(response: Response) -> Response:
        styles = f"{STYLES} 'nonce-{g.style_nonce}'" if "style_nonce" in g else STYLES
        response.headers.setdefault("Content-Security-Policy", policy(styles=styles))
        if NOT_FRAMED in response.headers["Content-Security-Policy"]:
            response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        return response
