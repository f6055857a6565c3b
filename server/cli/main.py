"""`mic-lod validate|build|serve|publish|link` (also `python3 -m server ...`): one call per command.

The command line and its settings are declared in server/common/config.py (COMMANDS, Config);
progress is shown by server/cli/progress.py; the exit codes are those of server/common/errors.py
(EXIT_CODES), and no error a user can make ends in a traceback (shapes the validator refuses
exit 1 with a message naming the shape).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from server.cli.progress import open_reporter
from server.common.config import Config
from server.common.config import ConfigError
from server.common.config import parse_command_line
from server.common.errors import EXIT_BUG
from server.common.errors import EXIT_INTERRUPTED
from server.common.errors import EXIT_INVALID
from server.common.errors import EXIT_OK
from server.common.errors import EXIT_SYSTEM
from server.common.errors import EXIT_USAGE
from server.common.errors import BuildError
from server.common.errors import ShapesViolated
from server.common.log import configure_logging
from server.common.progress import LogReporter
from server.common.progress import Reporter
from server.common.progress import timing_stages
from server.common.progress import use_reporter

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None, *, prog: str = "mic-lod") -> int:
    """Run one command line; return its exit code."""
    argv = sys.argv[1:] if argv is None else argv
    environ = dict(os.environ) if environ is None else environ
    try:
        command, config, args = parse_command_line(argv, environ, prog=prog)
    except SystemExit as exc:  # argparse printed the help (0) or what is wrong with the usage (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    reporter, handler = open_reporter(config.progress)
    configure_logging(config, handler)
    try:
        with use_reporter(reporter):
            if command == "validate":
                return run_validate(config)
            if command == "link":
                return run_link(config, args)
            if command == "publish":
                return run_publish(config)
            release = run_build(config)
        if command == "serve":
            with use_reporter(LogReporter() if config.progress != "off" else Reporter()):  # reloads log their stages
                run_serve(config, release)
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        return report_failure(exc, prog)


def report_failure(exc: Exception, prog: str) -> int:
    """Say what went wrong, in one line (after the SHACL report of a refused graph); return the exit code."""
    if isinstance(exc, ShapesViolated):
        sys.stderr.write(exc.report.text())
        print(f"{prog}: refused: {exc}", file=sys.stderr)
    elif isinstance(exc, OSError):  # a path that does not exist is a usage error; any other, the system's
        print(f"{prog}: {exc.strerror}: {exc.filename}" if exc.filename else f"{prog}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, FileNotFoundError) else EXIT_SYSTEM
    elif hasattr(exc, "exit_code"):
        print(f"{prog}: {exc}", file=sys.stderr)
    else:
        log.debug("unexpected error", exc_info=exc)
        print(f"{prog}: unexpected error, please report it: {type(exc).__name__}: {exc}"
              " (--log-level DEBUG shows where)", file=sys.stderr)
    return getattr(exc, "exit_code", EXIT_BUG)


def run_validate(config: Config) -> int:
    """Validate; print the report; write it as Turtle beside the release."""
    from server.builder.pipeline import validate_dataset

    report = validate_dataset(config)
    if report is None:
        print("no SHACL shapes given: nothing to validate")
        return 0
    config.release_dir.mkdir(parents=True, exist_ok=True)
    path = config.release_dir / "validation-report.ttl"
    report.graph.serialize(path, format="turtle")
    sys.stdout.write(report.text())
    print(f"SHACL report written to {path}")
    return EXIT_INVALID if report.blocking(config.blocking) else EXIT_OK


def run_link(config: Config, args: argparse.Namespace) -> int:
    """Link a CSV file's names to our IRIs (server/linking/link.py)."""
    from server.linking.link import run_link as link

    return link(config, input=args.input, column=args.column, type_name=args.link_type, output=args.output,
                keep_formulas=args.keep_formulas)


def run_build(config: Config):
    """Build the release (or reopen the one built from the same sources); return it."""
    from server.release.release import build_release

    with timing_stages() as times:
        release = build_release(config)
    if not release.reused:  # one line for scripts (bench/run.py reads it): the seconds each stage took
        print(f"build stages: {times.summary()}")
    if release.reused and release.store_path is not None:
        print(f"reusing release {release.version} from the store at {release.store_path}, sources unchanged")
    elif release.reused:
        print(f"reusing release {release.version} from {release.directory}, sources unchanged")
    else:
        print(f"release {release.version} written to {release.directory}")
    if release.report is None:
        print("no SHACL shapes given: the release is served unvalidated (its VoID says so)")
    return release


def give_back_memory() -> None:
    """Hand the heap a build freed back to the system (glibc keeps it otherwise): a served process stays small."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused for serving instead
        pass


def run_serve(config: Config, release) -> None:
    from waitress.server import create_server

    from server.engine.serving import Releases
    from server.engine.serving import Served
    from server.web.app import create_app

    give_back_memory()

    releases = Releases(Served(release, open_engine(release, config)))
    try:
        server = create_server(create_app(config, releases), **server_options(config))
    except BaseException as exc:  # stop the query workers
        releases.current.engine.close()
        if isinstance(exc, OSError):
            raise OSError(exc.errno, f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None
        raise
    signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=reload, args=(config, releases)).start())
    print(f"serving on http://{config.host}:{server.effective_port}/", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        pass
    finally:
        server.close()
        releases.current.engine.close()


def open_engine(release, config: Config):
    """The engine a release is served from: the remote endpoint if one is set, else the embedded store.

    With a remote engine the built store is only needed for the dumps, so it is let go.
    """
    from server.engine.local import open_local_engine
    from server.engine.published import published_dataset
    from server.engine.remote import RemoteEngine

    if not config.engine_url:
        return open_local_engine(release, config)
    engine = RemoteEngine(
        config.engine_url,
        dataset=published_dataset(release, union=config.union_default_graph),
        profile=config.engine_profile,
        timeout_s=config.query_timeout_s,
        user=config.engine_user or None,
        password=config.engine_password or None,
    )
    release.store = None
    log.info("serving release %s from the engine at %s", release.version, engine.url)
    return engine


def run_publish(config: Config) -> int:
    """Build the release, then load it into the remote engine (server/engine/publish.py)."""
    from server.engine.publish import publish_release

    if not (config.engine_update_url and config.engine_store_url):
        raise ConfigError("publish needs --engine-update-url and --engine-store-url")
    release = run_build(config)
    count = publish_release(
        release,
        store_url=config.engine_store_url,
        update_url=config.engine_update_url,
        user=config.engine_user or None,
        password=config.engine_password or None,
        profile=config.engine_profile,
    )
    print(f"release {release.version} published: {count} graphs")
    return EXIT_OK


def server_options(config: Config) -> dict:
    """waitress settings: address, threads, and the caps on connections, heads and bodies."""
    options = {
        "host": config.host,
        "port": config.port,
        "threads": config.threads,
        "connection_limit": config.max_connections,
        "max_request_header_size": config.max_header_bytes,
        "max_request_body_size": config.max_query_bytes + 4096,
        "channel_timeout": 60,
        "ident": "mic-lod",
    }
    if config.trusted_proxy:
        options.update(
            trusted_proxy=config.trusted_proxy,
            trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
            clear_untrusted_proxy_headers=True,
        )
    return options


_reloading = threading.Lock()


def reload(config: Config, releases) -> bool:
    """Build the data folder anew and switch to it; on any failure keep serving the current release.

    Sent by SIGHUP. A reload that arrives while one runs is skipped.
    """
    from server.engine.serving import Served
    from server.release.release import build_release

    if not _reloading.acquire(blocking=False):
        log.warning("reload skipped: one is already running")
        return False
    try:
        try:
            release = build_release(config)
            served = Served(release, open_engine(release, config))
        except ShapesViolated as exc:
            version = releases.current.release.version
            log.error("reload refused, still serving %s: %s\n%s", version, exc, exc.report.text())
            return False
        except BuildError as exc:  # a syntax error, shapes the validator refuses: the message says where
            log.error("reload failed, still serving %s: %s", releases.current.release.version, exc)
            return False
        except Exception:
            log.exception("reload failed, still serving %s", releases.current.release.version)
            return False
        previous = releases.switch(served)
        previous.engine.close()
        log.info("now serving release %s (was %s)", release.version, previous.release.version)
        return True
    finally:
        _reloading.release()


if __name__ == "__main__":
    sys.exit(main(prog="python3 -m server"))
