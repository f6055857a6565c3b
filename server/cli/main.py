"""`mic-lod build|validate|serve|link`: turns flags and env into a Config, runs the pipeline or the app.

Exit codes: 0 success, 1 the graph breaks its shapes, 2 bad settings or source syntax.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from server.common.config import Config
from server.common.config import ConfigError
from server.common.errors import BuildError
from server.common.errors import ShapesViolated
from server.common.log import configure_logging

log = logging.getLogger(__name__)

EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    environ = dict(os.environ) if environ is None else environ
    try:
        command, config = Config.from_args_and_env(argv, environ)
    except ConfigError as exc:
        print(f"mic-lod: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    configure_logging(config)
    try:
        if command == "validate":
            return run_validate(config)
        if command == "link":
            return run_link(config, argv)
        release = run_build(config)
        if command == "publish":
            return run_publish(config, release)
        if command == "serve":
            run_serve(config, release)
        return 0
    except ShapesViolated as exc:
        sys.stderr.write(exc.report.text())
        print(f"mic-lod: refused: {exc}", file=sys.stderr)
        return EXIT_VIOLATIONS
    except (BuildError, FileNotFoundError) as exc:
        print(f"mic-lod: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def run_validate(config: Config) -> int:
    """Validate; print the report; write it as Turtle beside the release."""
    from server.builder.pipeline import check_dataset
    from server.builder.pipeline import load_dataset

    report = check_dataset(load_dataset(config), config)
    if report is None:
        print("no SHACL shapes given: nothing to validate")
        return 0
    config.release_dir.mkdir(parents=True, exist_ok=True)
    path = config.release_dir / "validation-report.ttl"
    report.graph.serialize(path, format="turtle")
    sys.stdout.write(report.text())
    print(f"SHACL report written to {path}")
    return EXIT_VIOLATIONS if report.violations else 0


def run_link(config: Config, argv: Sequence[str]) -> int:
    """Link a CSV file's names to our IRIs (server/linking/link.py); exit 2 on a bad file, column or type."""
    from server.common.config import build_parser
    from server.linking.link import LinkError
    from server.linking.link import run_link as link

    args = build_parser().parse_args(list(argv))
    if not args.input or not args.column:
        print("mic-lod: link needs an input CSV and --column NAME", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return link(config, input=args.input, column=args.column, type_name=args.link_type, output=args.output)
    except LinkError as exc:
        print(f"mic-lod: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def run_build(config: Config):
    from server.release.release import build_release

    release = build_release(config)
    if release.reused and release.store_path is not None:
        print(f"reusing release {release.version} from the store at {release.store_path}, sources unchanged")
    elif release.reused:
        print(f"reusing release {release.version} from {release.directory}, sources unchanged")
    else:
        print(f"release {release.version} written to {release.directory}")
    if release.report is None:
        print("no SHACL shapes given: the release is served unvalidated (its VoID says so)")
    return release


def run_serve(config: Config, release) -> None:
    from waitress.server import create_server

    from server.engine.serving import Releases
    from server.engine.serving import Served
    from server.web.app import create_app

    releases = Releases(Served(release, open_engine(release, config)))
    app = create_app(config, releases)
    server = create_server(app, **server_options(config))
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
    from server.engine.remote import RemoteEngine

    if not config.engine_url:
        return open_local_engine(release, config)
    engine = RemoteEngine(
        config.engine_url,
        timeout_s=config.query_timeout_s,
        user=config.engine_user or None,
        password=config.engine_password or None,
    )
    release.store = None
    log.info("serving release %s from the engine at %s", release.version, engine.url)
    return engine


def run_publish(config: Config, release) -> int:
    """Load the release into the remote engine (server/engine/publish.py); exit 2 if the engine refuses."""
    from server.engine.publish import publish_release

    if not (config.engine_update_url and config.engine_store_url):
        print("mic-lod: publish needs --engine-update-url and --engine-store-url", file=sys.stderr)
        return EXIT_BAD_INPUT
    auth = (config.engine_user, config.engine_password) if config.engine_user else None
    count = publish_release(
        release, store_url=config.engine_store_url, update_url=config.engine_update_url, auth=auth,
        union=config.union_default_graph,
    )
    print(f"release {release.version} published: {count} graphs")
    return 0


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
    sys.exit(main())
