"""The publisher's web application. create_app wires; it does nothing else."""

from __future__ import annotations

from flask import Flask

from . import api
from . import dataset
from . import dumps
from . import errors
from . import home
from . import i18n
from . import linksets
from . import pages
from . import ratelimit
from . import reconcile
from . import resources
from . import search
from . import sparql
from .config import Config
from .state import Releases


def create_app(config: Config, releases: Releases) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_query_bytes + 4096
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.register_blueprint(i18n.make_blueprint(config))
    app.register_blueprint(home.make_blueprint(releases, config))
    app.register_blueprint(sparql.make_blueprint(releases, config))
    app.register_blueprint(dumps.make_blueprint(releases, config))
    app.register_blueprint(dataset.make_blueprint(releases, config))
    app.register_blueprint(resources.make_blueprint(releases, config))
    indexes = search.Indexes(releases)
    app.register_blueprint(reconcile.make_blueprint(releases, indexes, config))
    app.register_blueprint(api.make_blueprint(releases, indexes, config))
    app.register_blueprint(pages.make_blueprint(releases, indexes, config))
    app.register_blueprint(linksets.make_blueprint(releases, config))
    errors.register_error_handlers(app)
    ratelimit.install_rate_limit(app, rate=config.rate_limit_per_s, burst=config.rate_limit_burst)
    return app
