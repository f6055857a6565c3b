"""Placeholder: being written."""

from flask import Blueprint


def make_blueprint(releases, config):
    bp = Blueprint("dumps", __name__)
    bp.add_url_rule("/download/", "index", lambda: "todo")
    return bp


def write_release(store, report, config):
    from datetime import UTC, datetime

    from .release import Release
    from .vocab import Iris

    config.release_dir.mkdir(parents=True, exist_ok=True)
    return Release("dev", store, report, Iris(config.base_iri), config.release_dir, datetime.now(UTC))
