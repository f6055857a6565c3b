"""The one frozen Config, built from defaults, then LOD_* environment variables, then flags.

This is the only module that reads the environment.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_IRI = "https://mic-ict.example.org/"


def default_root() -> Path:
    """The project folder holding ontology/, data/ and shapes/.

    The current directory when it holds them, else the folder above this package
    (the checkout of an editable install).
    """
    cwd = Path.cwd()
    if (cwd / "data").is_dir() and (cwd / "ontology").is_dir():
        return cwd
    return Path(__file__).resolve().parents[2]


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and why."""


def setting(default, help: str, *, factory=None, secret: bool = False):
    """A Config field with the help text its flag and the README show; a secret one is never shown."""
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={"help": help})
    return dataclasses.field(default=default, metadata={"help": help}, repr=not secret)


@dataclass(frozen=True)
class Config:
    root: Path = setting(None, "project folder with ontology/, data/, shapes/", factory=default_root)
    dataset: str = setting(
        "", "RDF files or folders to serve instead of the project folder's graph, separated by ':'"
    )
    dataset_format: str = setting(
        "", "syntax of every --dataset file: ttl, nt, nq, trig, rdf, jsonld or a media type (default: by extension)"
    )
    shapes: str = setting("", "SHACL files or folders to validate against, separated by ':' (default: ROOT/shapes/)")
    default_graph: str = setting(
        "", "a query's default graph: 'union' of all graphs or the 'stored' one (default: union; stored for --dataset)"
    )
    base_iri: str = setting(DEFAULT_BASE_IRI, "base of every minted IRI; ends in /")
    host: str = setting("127.0.0.1", "address to listen on")
    port: int = setting(8080, "port to listen on, 0 for any free one")
    build_dir: Path | None = setting(None, "where build writes releases (default: ROOT/_build)")
    store_path: Path | None = setting(
        None, "on-disk store folder, for large data; a restart with unchanged sources reopens it at once"
    )
    threads: int = setting(8, "HTTP server threads")
    workers: int = setting(4, "query worker processes")
    query_timeout_s: float = setting(30.0, "deadline of one query, in seconds")
    queue_timeout_s: float = setting(10.0, "longest wait for a free query worker, in seconds")
    max_results: int = setting(100_000, "most result rows returned")
    max_result_bytes: int = setting(50_000_000, "largest serialised result")
    answer_cache_mb: float = setting(64.0, "memory for recent query answers, in MB; 0 keeps none")
    max_query_bytes: int = setting(100_000, "largest query text or request body")
    max_query_depth: int = setting(64, "deepest nesting of brackets in a query")
    service_allowlist: str = setting("", "endpoints a SERVICE clause may call (IRIs, space- or comma-separated)")
    rate_limit_per_s: float = setting(20.0, "requests a second per client after the burst; 0 turns it off")
    rate_limit_burst: int = setting(60, "requests a client may make at once")
    max_header_bytes: int = setting(16_384, "largest request line and headers")
    max_connections: int = setting(200, "open connections at most")
    trusted_proxy: str = setting("", "address of a reverse proxy whose X-Forwarded-* headers are trusted")
    engine_url: str = setting("", "query endpoint of a remote SPARQL engine; empty: the embedded store")
    engine_update_url: str = setting("", "update endpoint of the remote engine, for publish")
    engine_store_url: str = setting("", "Graph Store Protocol endpoint of the remote engine, for publish")
    engine_user: str = setting("", "user name for the remote engine")
    engine_password: str = setting("", "password for the remote engine (prefer the environment)", secret=True)
    log_level: str = setting("INFO", "logging level")

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
    def dataset_paths(self) -> list[Path]:
        """The RDF files and folders of --dataset, in the order given (none: the project folder's graph)."""
        return _paths(self.dataset)

    @property
    def shape_paths(self) -> list[Path]:
        """The SHACL files and folders to validate against: --shapes, else the project's shapes/ folder,
        else (a --dataset served as given) none."""
        if self.shapes:
            return _paths(self.shapes)
        return [] if self.dataset else [self.shapes_dir]

    @property
    def union_default_graph(self) -> bool:
        """Whether a query's default graph is the merge of every graph (else the stored default graph)."""
        return self.default_graph == "union" or (not self.default_graph and not self.dataset)

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
        for path in self.dataset_paths + _paths(self.shapes):
            if not path.exists():
                raise ConfigError(f"{path} does not exist")
        project = [] if self.dataset else [self.ontology_dir, self.data_dir]
        for folder in project + ([] if self.shapes or self.dataset else [self.shapes_dir]):
            if not folder.is_dir():
                raise ConfigError(f"folder {folder} does not exist (set --root or LOD_ROOT, or give --dataset)")
        if self.default_graph not in ("", "union", "stored"):
            raise ConfigError(f"default graph {self.default_graph!r} must be 'union' or 'stored'")
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
        if min(self.max_header_bytes, self.max_connections, self.rate_limit_burst) < 1 or self.rate_limit_per_s < 0:
            raise ConfigError("header, connection and rate limits must be positive (rate 0 turns the limit off)")
        if self.answer_cache_mb < 0:
            raise ConfigError("answer-cache-mb must be 0 or more")
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
        if args.command != "link" and any((args.input, args.column, args.link_type, args.output)):
            raise ConfigError("an input file, --column, --type and --output belong to the link command")
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


def _paths(value: str) -> list[Path]:
    """Paths separated by the system's path separator (':'), empty parts left out.

    >>> _paths("a.trig:data/"), _paths("")
    ([PosixPath('a.trig'), PosixPath('data')], [])
    """
    return [Path(part) for part in value.split(os.pathsep) if part]


def _convert(name: str, raw: object) -> object:
    annotation = str({field.name: field.type for field in dataclasses.fields(Config)}[name])
    kind = Path if "Path" in annotation else {"int": int, "float": float}.get(annotation, str)
    try:
        return kind(raw)  # type: ignore[operator]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad value {raw!r} for {name}") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mic-lod",
        description="Publish MIC's international ICT strategy as linked open data.",
    )
    parser.add_argument("command", choices=["serve", "validate", "build", "link", "publish"])
    parser.add_argument("input", nargs="?", help="link: the CSV file to link ('-' for standard input)")
    parser.add_argument("--column", help="link: the column holding the names to match")
    parser.add_argument("--type", dest="link_type", help="link: keep candidates of this class (IRI or name)")
    parser.add_argument("--output", help="link: where to write the linked CSV (default: standard output)")
    for field in dataclasses.fields(Config):
        flag = "--" + field.name.replace("_", "-")
        parser.add_argument(flag, dest=field.name, help=f"{field.metadata['help']} (LOD_{field.name.upper()})")
    return parser
