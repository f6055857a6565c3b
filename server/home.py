"""Blueprint for the home page: what the dataset is, and where to go from there."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

from .config import Config
from .state import Releases


def make_blueprint(releases: Releases, config: Config) -> Blueprint:
    blueprint = Blueprint("home", __name__)

    @blueprint.get("/")
    def index():
        release = releases.current
        return render_template("home.html", release=release, config=config)

    return blueprint
