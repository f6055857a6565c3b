"""Placeholder: being written."""

from flask import Blueprint


def make_blueprint(releases, config):
    bp = Blueprint("sparql", __name__)
    bp.add_url_rule("/sparql", "endpoint", lambda: "todo")
    return bp
