"""The one frozen Config, built from defaults, then LOD_* environment variables, then flags; and the command line.

This is the only module that reads the environment.

A setting is one field of Config, declared with `setting(...)`: its default, its help text,
the group its flag is shown under in --help (data, serving, safety limits, remote engine,
output) and the commands that take it. Its flag (``--name-with-dashes``), its variable
(``LOD_NAME``), its place in each command's --help and the check that no other command
takes it all follow from that one declaration. README.md's configuration table lists it
with the same commands (tests/test_docs.py checks). A sub-command is one entry of COMMANDS.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from server.common.errors import EXIT_CODES
from server.common.errors import EXIT_USAGE

DEFAULT_BASE_IRI = "https://mic-ict.example.org/"
SEVERITIES = ("Violation", "Warning", "Info")  # of SHACL results, as server/builder/report.py names them


def default_workers() -> int:
    """One query worker a CPU, 2 to 4: more would hold memory and share the same CPUs; one of them is always kept
    for quick queries (server/engine/workers.py)."""
    return min(4, max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2))


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

    exit_code = EXIT_USAGE


# The groups a command's --help shows its settings under.
DATA = "data"
SERVING = "serving"
LIMITS = "safety limits"
ENGINE = "remote engine"
OUTPUT = "output"
GROUPS = (DATA, SERVING, LIMITS, ENGINE, OUTPUT)

# Which commands use a setting (COMMANDS below says what each command does).
EVERY = ("validate", "build", "serve", "publish", "link")
RELEASING = ("validate", "build", "serve", "publish")  # write into the build folder
STORING = ("build", "serve", "publish")  # may build an on-disk store
SERVE = ("serve",)
PUBLISH = ("publish",)
PROGRESS_MODES = ("auto", "bar", "log", "off")
# The remote engine profiles of server/engine/profiles.py (common imports nothing of server; a test checks both agree).
ENGINE_PROFILES = ("auto", "sparql11", "oxigraph", "virtuoso")


def setting(
    default,
    help: str,
    *,
    group: str,
    commands: tuple[str, ...],
    factory=None,
    secret: bool = False,
    shown: str | None = None,
    metavar: str | None = None,
    choices: tuple[str, ...] | None = None,
):
    """A Config field: its flag's help text, --help group and commands; a secret one is never shown.

    The flag is the field's name with dashes (``--base-iri``), the variable ``LOD_`` and the name in
    capitals (``LOD_BASE_IRI``); `shown` is the default as help shows it, if not the value itself.
    """
    metadata = {
        "help": help,
        "group": group,
        "commands": commands,
        "shown": shown,
        "metavar": metavar,
        "choices": choices,
    }
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata, repr=not secret)


@dataclass(frozen=True)
class Config:
    root: Path = setting(
        None, "project folder with ontology/, data/, shapes/", group=DATA, commands=EVERY, factory=default_root,
        shown="the current folder if it holds data/ and ontology/, else this checkout",
    )
    dataset: str = setting(
        "", "RDF files or folders to serve instead of the project folder's graph, separated by ':'",
        group=DATA, commands=EVERY, metavar="PATHS",
    )
    dataset_format: str = setting(
        "", "syntax of every --dataset file: ttl, nt, nq, trig, rdf, jsonld or a media type",
        group=DATA, commands=EVERY, metavar="FORMAT", shown="by extension",
    )
    shapes: str = setting(
        "", "SHACL files or folders to validate against, separated by ':'", group=DATA, commands=EVERY,
        metavar="PATHS", shown="ROOT/shapes/; none with --dataset",
    )
    blocking_severities: str = setting(
        "Violation", "SHACL result severities that refuse a release (Violation, Warning, Info; comma-separated)",
        group=DATA, commands=RELEASING, metavar="SEVERITIES",
    )
    default_graph: str = setting(
        "", "a query's default graph: 'union' of all graphs or the 'stored' one", group=DATA, commands=STORING,
        metavar="union|stored", shown="union; stored with --dataset",
    )
    base_iri: str = setting(
        DEFAULT_BASE_IRI, "base of every minted IRI; ends in /", group=DATA, commands=EVERY, metavar="IRI"
    )
    host: str = setting("127.0.0.1", "address to listen on", group=SERVING, commands=SERVE)
    port: int = setting(8080, "port to listen on, 0 for any free one", group=SERVING, commands=SERVE)
    build_dir: Path | None = setting(
        None, "where releases are written", group=DATA, commands=RELEASING, shown="ROOT/_build"
    )
    store_path: Path | None = setting(
        None, "on-disk store folder, shared by the query workers; a restart with unchanged sources reopens it at once",
        group=DATA, commands=STORING, shown="BUILD_DIR/store",
    )
    storage: str = setting(
        "disk", "where the data is held: one on-disk store the query workers share, or a copy in each one's memory",
        group=DATA, commands=STORING, choices=("disk", "memory"), metavar="disk|memory",
    )
    threads: int = setting(16, "HTTP server threads", group=SERVING, commands=SERVE)
    workers: int = setting(
        None, "query worker processes", group=SERVING, commands=SERVE, factory=default_workers,
        shown="the CPU count, 2 to 4",
    )
    query_timeout_s: float = setting(
        25.0, "deadline of one query from its arrival, waiting included, in seconds", group=LIMITS, commands=SERVE
    )
    queue_timeout_s: float = setting(
        10.0, "longest wait for a free query worker, in seconds", group=LIMITS, commands=SERVE
    )
    max_queued: int = setting(
        8, "queries that may wait for a free worker; more get 503 at once (kept below threads - workers)",
        group=LIMITS, commands=SERVE,
    )
    max_results: int = setting(100_000, "most result rows returned", group=LIMITS, commands=SERVE)
    max_result_bytes: int = setting(50_000_000, "largest serialised result", group=LIMITS, commands=SERVE)
    answer_cache_mb: float = setting(
        64.0, "memory for recent query answers, in MB; 0 keeps none", group=SERVING, commands=SERVE
    )
    max_query_bytes: int = setting(100_000, "largest query text or request body", group=LIMITS, commands=SERVE)
    max_query_depth: int = setting(64, "deepest nesting of brackets in a query", group=LIMITS, commands=SERVE)
    service_allowlist: str = setting(
        "", "endpoints a SERVICE clause may call (IRIs, space- or comma-separated)", group=LIMITS, commands=SERVE,
        metavar="IRIS",
    )
    rate_limit_per_s: float = setting(
        20.0, "requests a second per client after the burst; 0 turns it off", group=LIMITS, commands=SERVE
    )
    rate_limit_burst: int = setting(60, "requests a client may make at once", group=LIMITS, commands=SERVE)
    max_header_bytes: int = setting(16_384, "largest request line and headers", group=LIMITS, commands=SERVE)
    max_connections: int = setting(200, "open connections at most", group=LIMITS, commands=SERVE)
    trusted_proxy: str = setting(
        "", "address of a reverse proxy whose X-Forwarded-* headers are trusted", group=SERVING, commands=SERVE,
        metavar="ADDRESS",
    )
    engine_url: str = setting(
        "", "query endpoint of a remote SPARQL engine; empty: the embedded store", group=ENGINE, commands=SERVE,
        metavar="URL",
    )
    engine_update_url: str = setting(
        "", "update endpoint of the remote engine, for publish", group=ENGINE, commands=PUBLISH, metavar="URL"
    )
    engine_store_url: str = setting(
        "", "Graph Store Protocol endpoint of the remote engine, for publish", group=ENGINE, commands=PUBLISH,
        metavar="URL",
    )
    engine_user: str = setting(
        "", "user name for the remote engine", group=ENGINE, commands=SERVE + PUBLISH, metavar="NAME"
    )
    engine_password: str = setting(
        "", "password for the remote engine (prefer the environment)", group=ENGINE, commands=SERVE + PUBLISH,
        secret=True, metavar="PASSWORD",
    )
    engine_profile: str = setting(
        "auto", "what the remote engine is: oxigraph, virtuoso, sparql11 (Fuseki, GraphDB, …), or auto to detect it",
        group=ENGINE, commands=SERVE + PUBLISH, choices=ENGINE_PROFILES, metavar="PROFILE",
    )
    log_level: str = setting("INFO", "logging level", group=OUTPUT, commands=EVERY, metavar="LEVEL")
    progress: str = setting(
        "auto", "how long work shows its progress: auto (bars on a terminal, else log lines; log lines when CI "
        "is set), bar, log or off", group=OUTPUT, commands=EVERY, choices=PROGRESS_MODES,
        metavar="MODE",
    )

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
    def blocking(self) -> frozenset[str]:
        """The severities of SHACL results that refuse a release (the report keeps all results)."""
        return frozenset(self.blocking_severities.replace(",", " ").split())

    @property
    def release_dir(self) -> Path:
        """Where `build` writes dumps and descriptions."""
        return self.build_dir if self.build_dir is not None else self.root / "_build"

    @property
    def store_dir(self) -> Path | None:
        """The on-disk store's folder (--store-path, else BUILD_DIR/store), or None with --storage memory."""
        if self.storage == "memory":
            return None
        return self.store_path if self.store_path is not None else self.release_dir / "store"

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
        if self.max_queued < 0:
            raise ConfigError("max-queued must be 0 or more")
        if self.query_timeout_s <= 0 or self.queue_timeout_s <= 0:
            raise ConfigError("timeouts must be positive")
        if min(self.max_results, self.max_result_bytes, self.max_query_bytes, self.max_query_depth) < 1:
            raise ConfigError("limits must be positive")
        if min(self.max_header_bytes, self.max_connections, self.rate_limit_burst) < 1 or self.rate_limit_per_s < 0:
            raise ConfigError("header, connection and rate limits must be positive (rate 0 turns the limit off)")
        unknown = self.blocking - set(SEVERITIES)
        if unknown:
            raise ConfigError(f"blocking severities {', '.join(sorted(unknown))} are not among {', '.join(SEVERITIES)}")
        if self.answer_cache_mb < 0:
            raise ConfigError("answer-cache-mb must be 0 or more")
        return self

    @classmethod
    def from_args_and_env(cls, argv: Sequence[str], environ: Mapping[str, str]) -> tuple[str, Config]:
        """Parse `argv` (without the program name) and `environ`; return (command, config).

        :raises ConfigError: on a bad value.
        :raises SystemExit: on bad usage (code 2, argparse's message printed) or after --help (0).
        """
        command, config, _ = parse_command_line(argv, environ)
        return command, config

    @classmethod
    def from_values(cls, given: Mapping[str, object], environ: Mapping[str, str]) -> Config:
        """The Config of flag values (`given`, None where a flag was not given), else LOD_* variables, else defaults.

        :raises ConfigError: on a bad value.
        """
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            raw = given.get(field.name)
            if raw is None:
                raw = environ.get(env_name(field))
            if raw is not None:
                values[field.name] = _convert(field, raw)
        if values.get("progress", "auto") == "auto" and _quiet_terminal(environ):
            values["progress"] = "log"
        return cls(**values).check()  # type: ignore[arg-type]


def _paths(value: str) -> list[Path]:
    """Paths separated by the system's path separator (':'), empty parts left out.

    >>> _paths("a.trig:data/"), _paths("")
    ([PosixPath('a.trig'), PosixPath('data')], [])
    """
    return [Path(part) for part in value.split(os.pathsep) if part]


def flag_of(field: dataclasses.Field) -> str:
    return "--" + field.name.replace("_", "-")


def env_name(field: dataclasses.Field) -> str:
    return "LOD_" + field.name.upper()


def settings_of(command: str) -> list[dataclasses.Field]:
    """The settings `command` uses, in the order of Config."""
    return [field for field in dataclasses.fields(Config) if command in field.metadata["commands"]]


def _quiet_terminal(environ: Mapping[str, str]) -> bool:
    """Under CI, or on a terminal that cannot redraw, progress is written as log lines."""
    ci = environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return ci or environ.get("TERM") == "dumb"


def _kind(field: dataclasses.Field) -> type:
    annotation = str(field.type)
    return Path if "Path" in annotation else {"int": int, "float": float}.get(annotation, str)


def _convert(field: dataclasses.Field, raw: object) -> object:
    kind = _kind(field)
    try:
        value = kind(raw)  # type: ignore[operator]
    except (TypeError, ValueError) as exc:
        expected = {int: "a whole number", float: "a number"}.get(kind, "a value")
        raise ConfigError(f"bad value {raw!r} for {flag_of(field)} ({env_name(field)}): expected {expected}") from exc
    choices = field.metadata["choices"]
    if choices and value not in choices:
        raise ConfigError(f"bad value {raw!r} for {flag_of(field)} ({env_name(field)}): one of {', '.join(choices)}")
    return value


# --- the command line ---------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A sub-command: what it does in one line, an example, and its own arguments beside the settings."""

    name: str
    purpose: str
    example: str  # "{prog}" stands for the program's name
    arguments: tuple[tuple[tuple[str, ...], dict], ...] = ()


COMMANDS = (
    Command(
        "validate",
        "Check the graph against the SHACL shapes; print the report and write it beside the releases.",
        "{prog} validate --root /srv/mic-lod",
    ),
    Command(
        "build",
        "Validate, then write a release: dumps, VoID and DCAT description, checksums, change log.",
        "{prog} build --build-dir /srv/mic-lod/build --store-path /srv/mic-lod/store",
    ),
    Command(
        "serve",
        "Build (or reopen) the release and serve it over HTTP; kill -HUP rebuilds and switches to the new one.",
        "{prog} serve --host 0.0.0.0 --port 8080 --workers 4",
    ),
    Command(
        "publish",
        "Build the release, then load it into a remote SPARQL engine and switch the engine to it at once.",
        "{prog} publish --engine-update-url http://127.0.0.1:7878/update "
        "--engine-store-url http://127.0.0.1:7878/store",
    ),
    Command(
        "link",
        "Match the names in a column of a CSV file to the graph's IRIs; write the CSV back with them.",
        "{prog} link names.csv --column name --type org:Organization --output linked.csv",
        arguments=(
            (("input",), {"metavar": "INPUT.csv", "help": "the CSV file to link ('-' for standard input)"}),
            (("--column",), {"required": True, "metavar": "NAME", "help": "the column holding the names to match"}),
            (("--type",), {"dest": "link_type", "metavar": "CLASS",
                           "help": "keep candidates of this class (an IRI, prefixed name, local name or label)"}),
            (("--output",), {"metavar": "FILE", "help": "where to write the linked CSV (default: standard output)"}),
            (("--keep-formulas",), {"action": "store_true",
                                    "help": "write cells starting with = + - @ as read, not made text with a '"}),
        ),
    ),
)


def build_parser(prog: str = "mic-lod") -> argparse.ArgumentParser:
    """The command line: one sub-command per entry of COMMANDS, each with only the settings it uses."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Publish MIC's international ICT strategy as linked open data.",
        epilog=f"'{prog} COMMAND --help' lists a command's settings; each can also be set by its LOD_ variable.\n\n"
        "exit codes:\n" + "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    for command in COMMANDS:
        sub = commands.add_parser(
            command.name,
            help=command.purpose,
            description=command.purpose,
            epilog=f"example:\n  {command.example.format(prog=prog)}\n\nexit codes: see '{prog} --help'",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for flags, options in command.arguments:
            sub.add_argument(*flags, **options)
        groups = {}
        for field in sorted(settings_of(command.name), key=lambda each: GROUPS.index(each.metadata["group"])):
            group = field.metadata["group"]
            if group not in groups:
                groups[group] = sub.add_argument_group(group)
            groups[group].add_argument(
                flag_of(field),
                dest=field.name,
                metavar=field.metadata["metavar"] or _metavar(field),
                choices=field.metadata["choices"],
                help=f"{field.metadata['help']} ({env_name(field)}; default: {_shown_default(field)})",
            )
    return parser


def parse_command_line(
    argv: Sequence[str], environ: Mapping[str, str], *, prog: str = "mic-lod"
) -> tuple[str, Config, argparse.Namespace]:
    """(command, config, the parsed arguments) of a command line and the environment.

    :raises ConfigError: on a bad value, or a flag the command does not take.
    :raises SystemExit: on bad usage (code 2, the usage and what is wrong printed) or after --help (0).
    """
    parser = build_parser(prog)
    args, unknown = parser.parse_known_args(list(argv))
    if unknown:
        flag = unknown[0].split("=", 1)[0]
        users = [command.name for command in COMMANDS if any(flag_of(f) == flag for f in settings_of(command.name))]
        where = f"; it is a setting of {', '.join(users)}" if users else ""
        raise ConfigError(f"{args.command} takes no {unknown[0]!r}{where} ('{prog} {args.command} --help' lists "
                          "what it takes)")
    given = {field.name: getattr(args, field.name, None) for field in dataclasses.fields(Config)}
    return args.command, Config.from_values(given, environ), args


def _metavar(field: dataclasses.Field) -> str:
    return {Path: "DIR", int: "N", float: "NUMBER"}.get(_kind(field), "TEXT")


def _shown_default(field: dataclasses.Field) -> str:
    if field.metadata["shown"]:
        return field.metadata["shown"]
    if field.default in ("", None):
        return "empty"
    return f"{field.default:g}" if isinstance(field.default, float) else str(field.default)
