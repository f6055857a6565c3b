"""The one frozen Config, built from defaults, then LOD_* environment variables, then flags.

This is the only module that reads the environment.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_IRI = "https://mic-ict.example.org/"


def default_root() -> Path:
    """The project folder holding ontology/, data/ and shapes/.

    The current directory when it holds them, else the folder above this package
    (an editable install or a checkout).
    """
    cwd = Path.cwd()
    if (cwd / "data").is_dir() and (cwd / "ontology").is_dir():
        return cwd
    return Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and why."""


@dataclass(frozen=True)
class Config:
    root: Path = dataclasses.field(default_factory=default_root)
    base_iri: str = DEFAULT_BASE_IRI
    host: str = "127.0.0.1"
    port: int = 8080
    build_dir: Path | None = None
    store_path: Path | None = None
    threads: int = 8
    workers: int = 2
    query_timeout_s: float = 30.0
    queue_timeout_s: float = 10.0
    max_results: int = 100_000
    max_result_bytes: int = 50_000_000
    max_query_bytes: int = 100_000
    max_query_depth: int = 64
    service_allowlist: str = ""
    log_level: str = "INFO"

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def source_dir(self) -> Path:
        return self.root / "source"

    @property
    def links_dir(self) -> Path:
        return self.root / "links"

    @property
    def allowed_services(self) -> frozenset[str]:
        """Endpoints a SERVICE clause may name (comma- or space-separated IRIs)."""
        return frozenset(self.service_allowlist.replace(",", " ").split())

    @property
    def release_dir(self) -> Path:
        """Where `build` writes dumps and descriptions."""
        return self.build_dir if self.build_dir is not None else self.root / "_build"

    def check(self) -> Config:
        """Return self, or raise ConfigError saying what is wrong."""
        for folder in (self.ontology_dir, self.data_dir, self.shapes_dir):
            if not folder.is_dir():
                raise ConfigError(f"folder {folder} does not exist (set --root or LOD_ROOT)")
        if not (self.base_iri.startswith("http://") or self.base_iri.startswith("https://")):
            raise ConfigError(f"base IRI {self.base_iri!r} must be an http(s) IRI")
        if not self.base_iri.endswith("/"):
            raise ConfigError(f"base IRI {self.base_iri!r} must end with '/'")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port {self.port} is out of range")
        if self.threads < 1 or self.workers < 1:
            raise ConfigError("threads and workers must be at least 1")
        if self.query_timeout_s <= 0 or self.queue_timeout_s <= 0:
            raise ConfigError("timeouts must be positive")
        if min(self.max_results, self.max_result_bytes, self.max_query_bytes, self.max_query_depth) < 1:
            raise ConfigError("limits must be positive")
        return self

    @classmethod
    def from_args_and_env(
        cls, argv: Sequence[str], environ: Mapping[str, str]
    ) -> tuple[str, Config]:
        """Parse `argv` (without the program name) and `environ`; return (command, config).

        :raises ConfigError: on a bad value.
        """
        parser = build_parser()
        args = parser.parse_args(list(argv))
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            env_name = "LOD_" + field.name.upper()
            raw = getattr(args, field.name, None)
            if raw is None and env_name in environ:
                raw = environ[env_name]
            if raw is None:
                continue
            values[field.name] = _convert(field.name, raw)
        try:
            config = cls(**values)  # type: ignore[arg-type]
        except TypeError as exc:  # pragma: no cover - defensive
            raise ConfigError(str(exc)) from exc
        return args.command, config.check()


_TYPES = {
    "root": Path,
    "build_dir": Path,
    "store_path": Path,
    "port": int,
    "threads": int,
    "workers": int,
    "query_timeout_s": float,
    "queue_timeout_s": float,
    "max_results": int,
    "max_result_bytes": int,
    "max_query_bytes": int,
    "max_query_depth": int,
}


def _convert(name: str, raw: object) -> object:
    kind = _TYPES.get(name, str)
    try:
        return kind(raw)  # type: ignore[operator]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad value {raw!r} for {name}") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mic-lod",
        description="Publish MIC's international ICT strategy as linked open data.",
    )
    parser.add_argument("command", choices=["serve", "validate", "build"])
    parser.add_argument("--root", help="project folder with ontology/, data/, shapes/ (LOD_ROOT)")
    parser.add_argument("--base-iri", dest="base_iri", help="base of every minted IRI (LOD_BASE_IRI)")
    parser.add_argument("--host", help="address to listen on (LOD_HOST)")
    parser.add_argument("--port", help="port to listen on, 0 for any free one (LOD_PORT)")
    parser.add_argument("--build-dir", dest="build_dir", help="where build writes the release (LOD_BUILD_DIR)")
    parser.add_argument("--store-path", dest="store_path", help="on-disk store folder (LOD_STORE_PATH)")
    parser.add_argument("--threads", help="server threads (LOD_THREADS)")
    parser.add_argument("--workers", help="query worker processes (LOD_WORKERS)")
    parser.add_argument("--query-timeout-s", dest="query_timeout_s", help="query deadline (LOD_QUERY_TIMEOUT_S)")
    parser.add_argument(
        "--queue-timeout-s", dest="queue_timeout_s", help="longest wait for a free worker (LOD_QUEUE_TIMEOUT_S)"
    )
    parser.add_argument("--max-results", dest="max_results", help="result row cap (LOD_MAX_RESULTS)")
    parser.add_argument(
        "--max-result-bytes", dest="max_result_bytes", help="result size cap (LOD_MAX_RESULT_BYTES)"
    )
    parser.add_argument(
        "--max-query-depth", dest="max_query_depth", help="bracket nesting cap (LOD_MAX_QUERY_DEPTH)"
    )
    parser.add_argument(
        "--service-allowlist", dest="service_allowlist", help="endpoints SERVICE may call (LOD_SERVICE_ALLOWLIST)"
    )
    parser.add_argument("--max-query-bytes", dest="max_query_bytes", help="query size cap (LOD_MAX_QUERY_BYTES)")
    parser.add_argument("--log-level", dest="log_level", help="logging level (LOD_LOG_LEVEL)")
    return parser
