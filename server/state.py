"""Releases: the release being served, switched atomically on reload."""

from __future__ import annotations

import threading

from .release import Release


class Releases:
    """Holds the current release; views read `.current` once per request."""

    def __init__(self, release: Release):
        self._current = release
        self._lock = threading.Lock()

    @property
    def current(self) -> Release:
        return self._current

    def switch(self, release: Release) -> Release:
        """Serve `release` from now on; return the one it replaces."""
        with self._lock:
            previous, self._current = self._current, release
        return previous
