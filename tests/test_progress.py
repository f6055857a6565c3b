"""Progress of long work: the stages a command goes through, as log lines or as bars on a terminal."""

from __future__ import annotations

import logging
import os
import pty
import re
import subprocess
import sys

import pytest

from server.cli.main import main
from server.common.errors import EXIT_ENGINE
from server.common.progress import LogReporter
from server.common.progress import stage
from server.common.progress import use_reporter
from tests.conftest import MINI
from tests.conftest import ROOT
from tests.conftest import free_port

BUILD_STAGES = [  # each once, with an on-disk store; some run at the same time, so the order they end in varies
    "fingerprint sources",
    "parse and load",
    "note literals as written",
    "validate",
    "content hash",
    "materialise default graph",
    "VoID counts",
    "count check",
    "gzip",
    "dumps",
    "counts",
    "DCAT-AP check",
    "write store",
    "optimise store",
]


def progress_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "progress"]


def test_log_lines_say_done_of_total_rate_and_time_left_every_few_seconds(caplog):
    now = [0.0]
    reporter = LogReporter(every_s=5, clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="progress")
    reporter.start(running := _stage(reporter, now, "parse and load", total=40_000_000, unit="B"))
    running.advance(10_000_000)
    now[0] = 4.0
    reporter.tick()
    assert progress_lines(caplog) == []  # not yet: one line every 5 seconds
    now[0] = 5.0
    reporter.tick()
    reporter.tick()
    assert progress_lines(caplog) == ["parse and load: 10.0 of 40.0 MB (25%), 2.0 MB/s, about 15 s left"]
    running.advance(30_000_000)
    now[0] = 8.0
    reporter.finish(running, failed=False)
    assert progress_lines(caplog)[-1] == "parse and load: 40.0 MB in 8.0 s (5.0 MB/s)"


def _stage(reporter, now, name, **counts):
    from server.common.progress import Stage

    return Stage(name, reporter=reporter, clock=lambda: now[0], **counts)


def test_a_failed_stage_says_how_far_it_got(caplog):
    caplog.set_level(logging.INFO, logger="progress")
    with pytest.raises(ValueError), use_reporter(LogReporter()):
        with stage("link", total=10, unit="rows") as progress:
            progress.advance(3)
            raise ValueError("bad row")
    assert re.fullmatch(r"link: stopped after \d\.\d s, 3 of 10 rows \(30%\)", progress_lines(caplog)[-1])


def test_build_logs_a_line_for_each_stage_when_not_on_a_terminal(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    argv = ["build", "--root", str(MINI), "--build-dir", str(tmp_path / "b"), "--store-path", str(tmp_path / "s")]
    assert main(argv, {}) == 0
    lines = progress_lines(caplog)
    assert sorted(line.split(":")[0] for line in lines) == sorted(BUILD_STAGES)
    assert any(re.fullmatch(r"validate: \d+ checks in \d\.\d s", line) for line in lines)
    assert any(re.fullmatch(r"parse and load: [\d.]+ kB in \d\.\d s", line) for line in lines)


def test_validate_and_link_count_what_they_do(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    names = tmp_path / "names.csv"
    names.write_text("name\nNICT\nG7\nnobody\n", encoding="utf-8")
    assert main(["link", str(names), "--column", "name", "--output", str(tmp_path / "out.csv")], {}) == 0
    lines = progress_lines(caplog)
    assert "link: 3 rows in" in " ".join(lines)
    stages = [line.split(":")[0] for line in lines]  # the literals are noted while the store loads
    assert sorted(stages[:2]) == ["note literals as written", "parse and load"]
    assert stages[2:] == ["validate", "search index", "link"]


def test_publish_says_how_many_graphs_were_sent_before_the_engine_failed(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    closed = f"http://127.0.0.1:{free_port()}"
    argv = ["publish", "--root", str(MINI), "--build-dir", str(tmp_path / "b"),
            "--engine-update-url", closed + "/update", "--engine-store-url", closed + "/store"]
    assert main(argv, {}) == EXIT_ENGINE
    assert re.fullmatch(r"send graphs: stopped after \d\.\d s, 0 of \d+ graphs \(0%\)", progress_lines(caplog)[-1])


def run_on_a_terminal(argv: list[str], **environ: str) -> str:
    """Run `python -m server ARGV` with a pseudo-terminal as its standard streams; return what it wrote."""
    main_side, child_side = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "TERM")}
    env |= {"COLUMNS": "120", "TERM": "xterm-256color", **environ}
    process = subprocess.Popen([sys.executable, *argv], cwd=ROOT, stdin=child_side, stdout=child_side,
                               stderr=child_side, env=env)
    os.close(child_side)
    chunks = []
    while True:
        try:
            chunk = os.read(main_side, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_side)
    assert process.wait(timeout=120) == 0
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_a_terminal_gets_bars_with_counts_and_times(tmp_path):
    shown = run_on_a_terminal(["-m", "server", "validate", "--root", str(MINI), "--build-dir", str(tmp_path / "b")])
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    assert "\x1b[" in shown  # drawn, not logged
    assert re.search(r"✓ validate +━+ (\d+) of \1 checks .*took \d\.\d s", plain)
    assert re.search(r"✓ parse and load +━+ [\d.]+ of [\d.]+ kB .*took", plain)
    assert "INFO progress:" not in plain
    assert "The graph conforms to every shape." in plain


def test_under_ci_a_terminal_gets_log_lines_and_the_bar_library_is_not_imported(tmp_path):
    script = (
        "import sys; from server.cli.main import main; "
        f"code = main(['validate', '--root', {str(MINI)!r}, '--build-dir', {str(tmp_path / 'b')!r}]); "
        "print('rich imported:', any(name.split('.')[0] == 'rich' for name in sys.modules)); sys.exit(code)"
    )
    shown = run_on_a_terminal(["-c", script], CI="true")
    assert "\x1b[" not in shown
    assert re.search(r"INFO progress: validate: \d+ checks in \d\.\d s", shown)
    assert "rich imported: False" in shown
