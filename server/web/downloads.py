"""Blueprint "dumps": /download/ (page), /download/index.json and each release's files.

server/builder/dumps.py writes them; this module only serves them. index.json gives, for the current
release and each past one, its version, build time, counts (the data's triples and quads, the
description's triples) and files (each with its size, SHA-256, media type and triples or quads).
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime
from pathlib import Path

from flask import Blueprint
from flask import Response
from flask import abort
from flask import jsonify
from flask import render_template
from flask import send_file

from server.builder.dumps import CHANGELOG
from server.builder.dumps import DUMPS
from server.builder.dumps import INDEX
from server.builder.dumps import TITLES
from server.builder.dumps import read_index
from server.common.config import Config
from server.engine.serving import Releases
from server.release.release import Release

VERSION_PATTERN = re.compile(r"^\d{8}-[0-9a-f]{8}$")
CURRENT_MAX_AGE = 300  # /download/{file} follows the current release
ARCHIVE_MAX_AGE = 365 * 24 * 3600  # /download/releases/{version}/{file} never changes


class History:
    """The index of the releases beside the current one, re-read when the file changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._seen: tuple[Path, int] | None = None
        self._entries: list[dict] = []

    def entries(self, release: Release) -> list[dict]:
        path = release.directory.parent / INDEX
        try:
            stamp = (path, path.stat().st_mtime_ns)
        except OSError:
            return []
        with self._lock:
            if stamp != self._seen:
                self._entries, self._seen = read_index(path.parent), stamp
            return self._entries


def _send(directory: Path, name: str, info: dict, built_at: datetime | str, *, archive: bool) -> Response:
    if isinstance(built_at, str):
        built_at = datetime.fromisoformat(built_at)
    response = send_file(
        directory / name,
        mimetype=info["media_type"],
        conditional=True,
        etag=info["sha256"],
        last_modified=built_at,
        max_age=ARCHIVE_MAX_AGE if archive else CURRENT_MAX_AGE,
        download_name=name,
    )
    if archive:
        response.cache_control.immutable = True
    return response


def _changelog(directory: Path, files: dict) -> dict | None:
    if CHANGELOG not in files:
        return None
    return json.loads((directory / CHANGELOG).read_text(encoding="utf-8"))


def make_blueprint(releases: Releases, config: Config) -> Blueprint:
    """Blueprint "dumps": /download/ (page), /download/index.json, and the release files.

    Files are found by name in the release's file list, never by the path
    the client sent.
    """
    blueprint = Blueprint("dumps", __name__)
    history = History()

    @blueprint.after_request
    def _cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    def listing(release: Release) -> dict:
        past = [entry for entry in history.entries(release) if entry["version"] != release.version]
        return {
            "current": {
                "version": release.version,
                "built_at": release.built_at.isoformat(),
                "counts": release.counts,
                "files": release.files,
            },
            "releases": [
                {key: entry[key] for key in ("version", "built_at", "previous", "counts", "files") if key in entry}
                for entry in reversed(past)
            ],
        }

    @blueprint.get("/download/")
    def index():
        release = releases.current.release
        data = listing(release)
        return render_template(
            "downloads.html",
            release=release,
            files=sorted(release.files.items(), key=lambda item: _order(item[0])),
            titles=TITLES,
            past=data["releases"],
            changelog=_changelog(release.directory, release.files),
        )

    @blueprint.get("/download/index.json")
    def index_json():
        return jsonify(listing(releases.current.release))

    @blueprint.get("/download/<name>")
    def current_file(name: str):
        release = releases.current.release
        info = release.files.get(name)
        if info is None:
            abort(404)
        return _send(release.directory, name, info, release.built_at, archive=False)

    @blueprint.get("/download/releases/<version>/<name>")
    def archived_file(version: str, name: str):
        release = releases.current.release
        if not VERSION_PATTERN.match(version):
            abort(404)
        entry = next((e for e in history.entries(release) if e["version"] == version), None)
        if entry is None or name not in entry["files"]:
            abort(404)
        directory = release.directory.parent / entry["version"]
        return _send(directory, name, entry["files"][name], entry["built_at"], archive=True)

    return blueprint


def _order(name: str) -> tuple[int, str]:
    """Dumps first in DUMPS order, then the other files by name."""
    names = [dump.name for dump in DUMPS]
    return (names.index(name), "") if name in names else (len(names), name)
