"""How the command line shows the stages of long work (server/common/progress.py): bars or log lines.

On a terminal, rich draws one line per stage (name, bar, done of total, rate, time taken and left)
and writes log records above them; elsewhere, and under CI, progress is log lines
(LogReporter). rich is imported only when bars are drawn.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TextIO

from server.common.log import plain_handler
from server.common.progress import LogReporter
from server.common.progress import Reporter
from server.common.progress import Stage
from server.common.progress import counts
from server.common.progress import duration
from server.common.progress import rate


def open_reporter(mode: str, stream: TextIO | None = None) -> tuple[Reporter, logging.Handler]:
    """The reporter for a --progress mode, and the log handler that goes with it.

    "auto" draws bars if `stream` (standard error) is a terminal, else writes log lines (Config
    has already made it "log" under CI); "off" shows no progress.
    """
    stream = stream or sys.stderr
    if mode == "auto":
        mode = "bar" if stream.isatty() else "log"
    if mode == "bar":
        reporter = TerminalReporter(stream)
        return reporter, reporter.log_handler()
    return (LogReporter() if mode == "log" else Reporter()), plain_handler(stream)


class TerminalReporter(Reporter):
    """A live display of the running stages; it is drawn while any stage runs and left on screen after."""

    def __init__(self, stream: TextIO):
        from rich.console import Console
        from rich.progress import BarColumn
        from rich.progress import Progress
        from rich.progress import TextColumn
        from rich.table import Column

        self.console = Console(file=stream)
        self._columns = (
            _Spinner(),
            TextColumn("{task.description}", table_column=Column(min_width=26, no_wrap=True)),
            BarColumn(bar_width=16),
            _column(_counts),
            _column(_rate),
            _column(_time),
        )
        self._make = lambda: Progress(
            *self._columns, console=self.console, speed_estimate_period=10, redirect_stdout=False
        )
        self._bars = None
        self._tasks: dict[Stage, int] = {}
        self._lock = threading.Lock()

    def log_handler(self) -> logging.Handler:
        """Log records printed above the bars, never through them."""
        from rich.logging import RichHandler

        return RichHandler(console=self.console, show_path=False, markup=False, log_time_format="%H:%M:%S")

    def start(self, stage: Stage) -> None:
        with self._lock:
            if self._bars is None:
                self._bars = self._make()
                self._bars.start()
            self._tasks[stage] = self._bars.add_task(
                stage.name, total=stage.total, unit=stage.unit, took=None, failed=False
            )

    def update(self, stage: Stage) -> None:
        with self._lock:
            if stage in self._tasks:
                self._bars.update(self._tasks[stage], completed=stage.done, total=stage.total)

    def finish(self, stage: Stage, *, failed: bool) -> None:
        with self._lock:
            task = self._tasks.pop(stage)
            total = stage.total if stage.total is not None and not failed else stage.done or 1
            description = f"{stage.name} (stopped)" if failed else stage.name
            self._bars.update(
                task,
                completed=stage.done or total,
                total=total,
                description=description,
                took=stage.elapsed,
                failed=failed,
            )
            self._bars.stop_task(task)
            if not self._tasks:  # nothing runs: leave the lines as they are, so other output comes below
                self._bars.stop()
                self._bars = None

    def close(self) -> None:
        with self._lock:
            if self._bars is not None:
                self._bars.stop()
                self._bars = None


def _counts(task) -> str:
    unit = task.fields["unit"]
    return counts(task.completed, task.total, unit, share=False) if unit else ""


def _rate(task) -> str:
    """While running, the recent rate; once finished, the rate over the whole stage."""
    took = task.fields["took"]
    speed = task.completed / took if took else task.speed
    return rate(speed, task.fields["unit"]) if speed and task.fields["unit"] else ""


def _time(task) -> str:
    """Time taken once finished; while running, time left if known, else time so far."""
    if task.fields["took"] is not None:
        return f"took {duration(task.fields['took'])}"
    if task.time_remaining is not None and task.total:
        return f"{duration(task.time_remaining)} left"
    return duration(task.elapsed or 0)


def _Spinner():
    """A spinner while the stage runs, then ✓ (or ✗ if it failed)."""
    from rich.progress import SpinnerColumn
    from rich.text import Text

    class Spinner(SpinnerColumn):
        def render(self, task):
            if task.fields["took"] is None:
                return self.spinner.render(task.get_time())
            return Text("✗", style="red") if task.fields["failed"] else Text("✓", style="green")

    return Spinner()


def _column(render):
    """A rich column showing render(task) as plain text."""
    from rich.progress import ProgressColumn
    from rich.table import Column
    from rich.text import Text

    class Plain(ProgressColumn):
        def render(self, task) -> Text:
            return Text(render(task))

    return Plain(table_column=Column(no_wrap=True))
