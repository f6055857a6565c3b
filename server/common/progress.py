"""Progress of long work, as a small callback interface the stages call.

    with stage("parse and load", total=size, unit="B") as progress:
        for chunk in chunks:
            ...
            progress.advance(len(chunk))

A stage has a name, a unit (``"B"`` for bytes, else a plural noun: ``"checks"``), a total when it
is known and the amount done. The command line installs a Reporter that shows the stages running
(server/cli/progress.py: bars on a terminal; LogReporter below: one log line per stage and one
every few seconds); without one nothing is shown. This module imports nothing outside the
standard library, so every package may call it, the query workers included.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO
from typing import TypeVar

T = TypeVar("T")

# A stage tells its reporter of new counts at most this often (a hot loop may advance it a million times).
UPDATE_EVERY_S = 0.1


class Stage:
    """One stage of work under way: `advance` it as work is done, `set_total` once the total is known."""

    def __init__(self, name: str, *, total: float | None, unit: str, reporter: Reporter, clock=time.monotonic):
        self.name = name
        self.total = total
        self.unit = unit
        self.done = 0.0
        self.clock = clock
        self.started = clock()
        self._reporter = reporter
        self._updated = self.started
        self._lock = threading.Lock()

    def advance(self, amount: float = 1) -> None:
        """Count `amount` more done (any thread may call it)."""
        with self._lock:
            self.done += amount
            now = self.clock()
            if now - self._updated < UPDATE_EVERY_S:
                return
            self._updated = now
        self._reporter.update(self)

    def set_total(self, total: float | None) -> None:
        self.total = total
        self._reporter.update(self)

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    @property
    def rate(self) -> float | None:
        """Amount done per second so far, or None before anything is done."""
        elapsed = self.elapsed
        return self.done / elapsed if self.done and elapsed > 0 else None

    @property
    def remaining(self) -> float | None:
        """Seconds left at the rate so far, or None if the total or the rate is not known."""
        rate = self.rate
        if self.total is None or not rate:
            return None
        return max(self.total - self.done, 0) / rate

    def describe(self) -> str:
        """What the stage has done, in words.

        >>> now = [0.0]
        >>> s = Stage("parse", total=4_000_000, unit="B", reporter=Reporter(), clock=lambda: now[0])
        >>> s.advance(1_000_000)
        >>> now[0] = 10.0
        >>> s.describe()
        'parse: 1.0 of 4.0 MB (25%), 100.0 kB/s, about 30 s left'
        >>> Stage("optimise store", total=None, unit="", reporter=Reporter(), clock=lambda: now[0]).describe()
        'optimise store: running for 0.0 s'
        """
        if not self.done and self.total is None:  # nothing to count yet (the engine writing a file, say)
            return f"{self.name}: running for {duration(self.elapsed)}"
        parts = [counts(self.done, self.total, self.unit)]
        if self.rate is not None:
            parts.append(rate(self.rate, self.unit))
        remaining = self.remaining
        if remaining:
            parts.append(f"about {duration(remaining)} left")
        return f"{self.name}: " + ", ".join(parts)


class Reporter:
    """Shows the stages as they run; this one shows nothing."""

    def start(self, stage: Stage) -> None:
        pass

    def update(self, stage: Stage) -> None:
        pass

    def finish(self, stage: Stage, *, failed: bool) -> None:
        pass

    def close(self) -> None:
        pass


class LogReporter(Reporter):
    """A log line when a stage ends, and one for each stage still running every `every_s` seconds.

    For logs, CI and anything that is not a terminal: each line stands on its own.
    """

    def __init__(self, logger: logging.Logger | None = None, *, every_s: float = 5.0, clock=time.monotonic):
        self.log = logger or logging.getLogger("progress")
        self.every_s = every_s
        self.clock = clock
        self._running: dict[Stage, float] = {}  # stage -> when it was last logged
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, stage: Stage) -> None:
        with self._lock:
            self._running[stage] = stage.started
            if self._thread is None:
                self._thread = threading.Thread(target=self._tick_until_closed, name="progress-log", daemon=True)
                self._thread.start()

    def finish(self, stage: Stage, *, failed: bool) -> None:
        with self._lock:
            self._running.pop(stage, None)
        took = f"{duration(stage.elapsed)}"
        if failed:
            self.log.info("%s: stopped after %s, %s", stage.name, took, counts(stage.done, stage.total, stage.unit))
        elif stage.done:
            speed = f" ({rate(stage.rate, stage.unit)})" if stage.rate and stage.elapsed >= 1 else ""
            self.log.info("%s: %s in %s%s", stage.name, amount(stage.done, stage.unit), took, speed)
        else:
            self.log.info("%s: done in %s", stage.name, took)

    def tick(self) -> None:
        """Log each stage not logged for `every_s` seconds."""
        now = self.clock()
        with self._lock:
            due = [stage for stage, logged in self._running.items() if now - logged >= self.every_s]
            for stage in due:
                self._running[stage] = now
        for stage in due:
            self.log.info("%s", stage.describe())

    def _tick_until_closed(self) -> None:
        while not self._stop.wait(min(1.0, self.every_s)):
            self.tick()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class StageTimes(Reporter):
    """Shows every stage with `inner`, and keeps the seconds each took, by name, in the order they ended."""

    def __init__(self, inner: Reporter):
        self.inner = inner
        self.took: dict[str, float] = {}

    def start(self, stage: Stage) -> None:
        self.inner.start(stage)

    def update(self, stage: Stage) -> None:
        self.inner.update(stage)

    def finish(self, stage: Stage, *, failed: bool) -> None:
        self.inner.finish(stage, failed=failed)
        self.took[stage.name] = self.took.get(stage.name, 0.0) + stage.elapsed

    def summary(self) -> str:
        """
        >>> times = StageTimes(Reporter())
        >>> times.took = {"parse and load": 3.42, "validate": 12.0}
        >>> times.summary()
        'parse and load 3.4 s, validate 12.0 s'
        """
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.took.items())


_reporter: Reporter = Reporter()


@contextmanager
def use_reporter(reporter: Reporter) -> Iterator[Reporter]:
    """Show every stage started inside the block (in any thread) with `reporter`; close it after."""
    global _reporter
    previous, _reporter = _reporter, reporter
    try:
        yield reporter
    finally:
        _reporter = previous
        reporter.close()


@contextmanager
def timing_stages() -> Iterator[StageTimes]:
    """Keep how long each stage started inside the block took, while the current reporter shows them."""
    global _reporter
    previous = _reporter
    _reporter = times = StageTimes(previous)
    try:
        yield times
    finally:
        _reporter = previous


@contextmanager
def stage(name: str, *, total: float | None = None, unit: str = "") -> Iterator[Stage]:
    """A stage of work, shown by the current reporter from start to end."""
    reporter = _reporter
    current = Stage(name, total=total, unit=unit, reporter=reporter)
    reporter.start(current)
    try:
        yield current
    except BaseException:
        reporter.finish(current, failed=True)
        raise
    reporter.finish(current, failed=False)


def stage_items(items: Sequence[T], name: str, *, unit: str) -> Iterator[T]:
    """The items, one after the other, as a stage counting each once its work is done."""
    with stage(name, total=len(items), unit=unit) as progress:
        for item in items:
            yield item
            progress.advance()


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: BinaryIO, progress: Stage):
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._raw.readinto(buffer)
        self._progress.advance(count or 0)
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


def reading(path: Path, progress: Stage | None) -> BinaryIO:
    """`path` opened for binary reading; every byte read advances `progress` (if there is one)."""
    if progress is None:
        return path.open("rb")
    return io.BufferedReader(_CountingReader(path.open("rb", buffering=0), progress), 1 << 16)  # type: ignore


# --- words for amounts ------------------------------------------------------------


def amount(value: float, unit: str) -> str:
    """
    >>> amount(48_213_000, "B"), amount(1234567, "quads"), amount(2.5, "graphs")
    ('48.2 MB', '1,234,567 quads', '2 graphs')
    """
    if unit == "B":
        return _bytes(value)
    return f"{int(value):,} {unit}".rstrip()


def counts(done: float, total: float | None, unit: str, *, share: bool = True) -> str:
    """Done of total, and the share done unless `share` is false.

    >>> counts(12_400_000, 48_200_000, "B"), counts(3, 7, "checks"), counts(12, None, "rows")
    ('12.4 of 48.2 MB (26%)', '3 of 7 checks (43%)', '12 rows')
    """
    if total is None:
        return amount(done, unit)
    percent = f" ({100 * done / total:.0f}%)" if total and share else ""
    if unit == "B":
        number, suffix = _bytes(total).split(" ")
        scale = _BYTE_SCALES[suffix]
        return f"{done / scale:.1f} of {number} {suffix}{percent}"
    return f"{int(done):,} of {amount(total, unit)}{percent}"


def rate(per_second: float, unit: str) -> str:
    """
    >>> rate(9_800_000, "B"), rate(45_000.4, "quads"), rate(0.25, "checks")
    ('9.8 MB/s', '45,000 quads/s', '0.25 checks/s')
    """
    if unit == "B":
        return _bytes(per_second) + "/s"
    shown = f"{per_second:,.0f}" if per_second >= 10 else f"{per_second:.2g}"
    return f"{shown} {unit}/s".replace(" /s", "/s")


def duration(seconds: float) -> str:
    """
    >>> duration(0.42), duration(14.2), duration(75), duration(3725)
    ('0.4 s', '14 s', '1 min 15 s', '1 h 2 min')
    """
    if seconds < 10:
        return f"{seconds:.1f} s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


_BYTE_SCALES = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def _bytes(value: float) -> str:
    for suffix, scale in reversed(_BYTE_SCALES.items()):
        if value >= scale or suffix == "B":
            return f"{value / scale:.1f} {suffix}" if suffix != "B" else f"{int(value)} B"
    raise AssertionError  # pragma: no cover
