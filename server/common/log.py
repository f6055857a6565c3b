"""configure_logging(config, handler): called once by the command line."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from server.common.config import Config

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def plain_handler(stream: TextIO | None = None) -> logging.Handler:
    """Log records as plain lines: time, level, logger, message."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler


def configure_logging(config: Config, handler: logging.Handler | None = None) -> None:
    """Log at the configured level through `handler` (plain lines on standard error if None),
    unless the root logger already has a handler at that level (a test's, or a previous call's)."""
    root = logging.getLogger()
    level = getattr(logging, config.log_level.upper(), logging.INFO)
    root.setLevel(level)
    if not any(existing.level <= level for existing in root.handlers):
        root.addHandler(handler or plain_handler())
