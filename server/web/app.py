"""The publisher's web application. create_app wires; it does nothing else."""

from __future__ import annotations

from flask import Flask

from server.common.config import Config
from server.engine.serving import Releases
from server.linking.search import Indexes
from server.web import api
from server.web import canned
from server.web import downloads
from server.web import errors
from server.web import headers
from server.web import home
from server.web import i18n
from server.web import linksets
from server.web import pages
from server.web import ratelimit
from server.web import reconcile
from server.web import resources
from server.web import sparql
from server.web import urls
from server.web import void


def create_app(config: Config, releases: Releases) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_query_bytes + 4096
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    urls.install(app, config)
    headers.install(app)
    app.register_blueprint(i18n.make_blueprint(config))
    app.register_blueprint(home.make_blueprint(releases, config))
    indexes = Indexes(releases)
    answering = sparql.Answering(releases, config, indexes)
    app.register_blueprint(sparql.make_blueprint(answering))
    app.register_blueprint(canned.make_blueprint(answering))
    app.register_blueprint(downloads.make_blueprint(releases, config))
    app.register_blueprint(void.make_blueprint(releases, config))
    app.register_blueprint(resources.make_blueprint(releases, config))
    app.register_blueprint(reconcile.make_blueprint(releases, indexes, config))
    app.register_blueprint(api.make_blueprint(releases, indexes, config))
    app.register_blueprint(pages.make_blueprint(releases, indexes, config))
    app.register_blueprint(linksets.make_blueprint(releases, config))
    errors.register_error_handlers(app)
    ratelimit.install_rate_limit(app, rate=config.rate_limit_per_s, burst=config.rate_limit_burst)
    return app
