"""Placeholder: being written."""

from flask import Blueprint


def make_blueprint(releases, config):
    return Blueprint("resources", __name__)
