"""Real SPARQL stores for the remote-mode tests: an `oxigraph serve` and a Virtuoso, on 127.0.0.1.

Each runs from a temporary folder on ports the OS chose, as a child of the test
process (stopped by its fixture), and can be stopped and started again on the
same data. Virtuoso is set up from the very recipe of docs/deployment.md (its
virtuoso.ini and grants blocks), so the recipe is what the tests run.
"""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from requests.auth import HTTPDigestAuth

ROOT = Path(__file__).resolve().parent.parent
DEPLOYMENT = ROOT / "docs" / "deployment.md"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
JSON_RESULTS = "application/sparql-results+json"
# The tests' Virtuoso cuts answers at this many rows (the recipe's is above LOD_MAX_RESULTS), so that the
# remote tests can see it cut: more than any of the server's own queries reads, fewer than the release's quads.
VIRTUOSO_ROW_CAP = 2000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


def oxigraph_command() -> str:
    """The `oxigraph` command installed with this Python's packages (no PATH needed), else the one on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else (shutil.which("oxigraph") or "oxigraph")


FOREIGN_GRAPH = "http://other.example.org/graph/theirs"
THEIRS = '<http://other.example.org/id/a> <http://other.example.org/def/b> "another team\'s data"'


class Store:
    """What the tests need of a store: its endpoints and credentials, start/stop, and reads and writes on it.

    :ivar foreign_data: an update that puts another team's data in the store, which no publish may touch.
    :ivar stores_a_default_graph: whether the store has a default graph of its own (Virtuoso's is all graphs).
    """

    stores_a_default_graph = True

    name: str
    url: str
    query_url: str
    update_url: str
    store_url: str
    user: str | None = None
    password: str | None = None
    process: subprocess.Popen | None = None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)

    def admin_auth(self):
        return None

    def select(self, query: str, **params) -> list[dict]:
        """Run a query on the store itself (not through an app); the rows as {variable: value}."""
        response = requests.post(self.query_url, data={"query": query, **params}, timeout=30,
                                 headers={"Accept": JSON_RESULTS})
        response.raise_for_status()
        return [{name: value["value"] for name, value in row.items()} for row in response.json()["results"]["bindings"]]

    def count(self, **params) -> int:
        return int(self.select(COUNT, **params)[0]["n"])

    def graphs(self) -> set[str]:
        # GROUP BY, not DISTINCT: Virtuoso takes seconds over its system graphs for the DISTINCT form.
        return {row["g"] for row in self.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}

    def update(self, update: str) -> None:
        """Write to the store as its administrator (another team's data, say)."""
        response = requests.post(self.admin_update_url, data={"update": update}, auth=self.admin_auth(), timeout=30)
        response.raise_for_status()

    @property
    def admin_update_url(self) -> str:
        return self.update_url

    def publish_args(self) -> tuple[list[str], dict[str, str]]:
        """Flags and environment for `publish` to this store (the password by the environment, as documented)."""
        args = ["--engine-update-url", self.update_url, "--engine-store-url", self.store_url]
        environ = {}
        if self.user:
            args += ["--engine-user", self.user]
            environ["LOD_ENGINE_PASSWORD"] = self.password
        return args, environ


class Oxigraph(Store):
    """An `oxigraph serve` process on a fixed location and port."""

    name = "oxigraph"
    foreign_data = f"INSERT DATA {{ GRAPH <{FOREIGN_GRAPH}> {{ {THEIRS} }} {THEIRS} }}"

    def __init__(self, location: Path):
        self.location = location
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.query_url, self.update_url, self.store_url = self.url + "/query", self.url + "/update", self.url + "/store"

    def start(self) -> None:
        command = [oxigraph_command(), "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_until(lambda: requests.get(self.query_url, params={"query": "ASK {}"}, timeout=2).ok)


VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")


def deployment_block(language: str) -> str:
    """The one fenced block of `language` in docs/deployment.md."""
    blocks = re.findall(rf"^```{language}\n(.*?)^```", DEPLOYMENT.read_text(encoding="utf-8"), re.M | re.S)
    assert len(blocks) == 1, f"docs/deployment.md should have one {language} block"
    return blocks[0]


class Virtuoso(Store):
    """A Virtuoso (`virtuoso-t +foreground`) with its own database folder, set up by docs/deployment.md's recipe."""

    name = "virtuoso"
    foreign_data = f"INSERT DATA {{ GRAPH <{FOREIGN_GRAPH}> {{ {THEIRS} }} }}"
    stores_a_default_graph = False

    def __init__(self, folder: Path):
        self.folder = folder
        self.sql_port, self.port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.query_url = self.url + "/sparql"
        self.update_url = self.url + "/sparql-auth"
        self.store_url = self.url + "/sparql-graph-crud-auth"
        self.user, self.password = "mic_lod", secrets.token_urlsafe(12)
        self.dba_password = secrets.token_urlsafe(12)
        ini = (
            deployment_block("ini")
            .replace("/srv/mic-lod/virtuoso", str(folder))
            .replace("127.0.0.1:1111", f"127.0.0.1:{self.sql_port}")
            .replace("127.0.0.1:8890", f"127.0.0.1:{self.port}")
        )
        ini, replaced = re.subn(r"^ResultSetMaxRows\s*=.*$", f"ResultSetMaxRows = {VIRTUOSO_ROW_CAP}", ini, flags=re.M)
        assert replaced == 1
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "virtuoso.ini").write_text(ini, encoding="utf-8")
        self.set_up = False

    def start(self) -> None:
        command = [VIRTUOSO, "+foreground", "+configfile", "virtuoso.ini"]
        self.process = subprocess.Popen(command, cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ready = wait_until(lambda: requests.get(self.query_url, params={"query": "ASK {}"}, timeout=2).ok, 60)
        assert ready, (self.folder / "virtuoso.log").read_text(errors="replace")[-2000:]
        if not self.set_up:
            self.grant()
            self.set_up = True

    def grant(self) -> None:
        """Run the recipe's grants (new passwords, the publishing user) through isql-vt, as the recipe does."""
        sql = (
            deployment_block("sql")
            .replace("DBA-PASSWORD", self.dba_password)
            .replace("DAV-PASSWORD", secrets.token_urlsafe(12))
            .replace("PUBLISH-PASSWORD", self.password)
        )
        done = subprocess.run([ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba"], input=sql, text=True,
                              capture_output=True, timeout=60)
        assert done.returncode == 0 and "Error" not in done.stdout + done.stderr, done.stdout + done.stderr

    def admin_auth(self):
        return HTTPDigestAuth("dba", self.dba_password)
