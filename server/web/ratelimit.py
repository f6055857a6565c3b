"""A per-client rate limit: a token bucket per client address, answering 429 with Retry-After.

Each client may make `burst` requests at once and `rate` a second after that.
Every request takes one token; a request that asks for much work (a large
reconciliation batch) takes more with `charge`, as many as its size warrants and
at most the whole burst.
The client is the connection's address (behind a reverse proxy, the server's
trusted-proxy settings make that the forwarded address). Buckets of clients not
seen for a while are forgotten, and at most `max_clients` are kept, so a flood
of addresses cannot grow memory without bound.

>>> limiter = RateLimiter(rate=1.0, burst=2)
>>> [limiter.check("a", now=0.0) for _ in range(3)]
[0.0, 0.0, 1.0]
>>> limiter.check("a", now=1.0)
0.0
>>> limiter.check("a", tokens=3, now=2.0), limiter.check("a", tokens=3, now=3.0)
(1.0, 0.0)
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from flask import Flask
from flask import current_app
from flask import request

from server.common.errors import PublisherError


class TooManyRequests(PublisherError):
    status = 429

    def __init__(self, retry_after: float):
        seconds = max(1, math.ceil(retry_after))
        super().__init__(f"Too many requests from your address; try again in {seconds} s.")
        self.headers = {"Retry-After": str(seconds)}


class RateLimiter:
    def __init__(self, *, rate: float, burst: int, max_clients: int = 100_000):
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, time)
        self._lock = threading.Lock()

    def check(self, client: str, *, tokens: float = 1.0, now: float | None = None) -> float:
        """Take `tokens` (at most the burst) for `client`; return 0 if allowed, else the seconds until they are.

        A refused request takes nothing.
        """
        now = time.monotonic() if now is None else now
        wanted = min(float(tokens), float(self.burst))
        with self._lock:
            held, last = self._buckets.pop(client, (float(self.burst), now))
            held = min(float(self.burst), held + (now - last) * self.rate)
            if held >= wanted:
                held -= wanted
                wait = 0.0
            else:
                wait = (wanted - held) / self.rate
            self._buckets[client] = (held, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return wait


def install_rate_limit(app: Flask, *, rate: float, burst: int) -> None:
    """Limit every request but static files; rate 0 turns the limit off."""
    if rate <= 0:
        return
    limiter = RateLimiter(rate=rate, burst=burst)
    app.extensions["rate_limiter"] = limiter

    @app.before_request
    def _limit():
        if request.endpoint == "static":
            return None
        wait = limiter.check(_client())
        if wait > 0:
            raise TooManyRequests(wait)
        return None


def charge(tokens: float) -> None:
    """Take `tokens` more from the current client's bucket, for a request that costs more than one.

    :raises TooManyRequests: if the bucket holds too few (nothing is taken then).
    """
    limiter = current_app.extensions.get("rate_limiter")
    if limiter is None or tokens <= 0:
        return
    wait = limiter.check(_client(), tokens=tokens)
    if wait > 0:
        raise TooManyRequests(wait)


def _client() -> str:
    return request.remote_addr or "unknown"
