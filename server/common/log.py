"""configure_logging(config): called once from __main__."""

from __future__ import annotations

import logging

from server.common.config import Config


def configure_logging(config: Config) -> None:
    root = logging.getLogger()
    level = getattr(logging, config.log_level.upper(), logging.INFO)
    root.setLevel(level)
    if not any(handler.level <= level for handler in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
