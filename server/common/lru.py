"""A bounded, thread-safe least-recently-used map: the one cache of recent responses and answers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Hashable


class LruCache:
    """The most recently used values, within `capacity` of their total weight (each weighs 1 by default).

    A value heavier than `max_weight` (default: the whole capacity) is not kept.

    >>> cache = LruCache(capacity=10, weight=len, max_weight=6)
    >>> cache.put("a", b"12345"); cache.put("b", b"1234")
    >>> cache.get("a"), cache.get("b")
    (b'12345', b'1234')
    >>> cache.put("c", b"123"); cache.get("a"), cache.get("c")  # "a" was the least recently used
    (None, b'123')
    >>> cache.put("big", b"1234567"); cache.get("big")
    """

    def __init__(
        self, capacity: int, *, weight: Callable[[object], int] = lambda value: 1, max_weight: int | None = None
    ):
        self.capacity = capacity
        self._weight = weight
        self._max_weight = capacity if max_weight is None else min(max_weight, capacity)
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value) -> None:
        weight = self._weight(value)
        if weight > self._max_weight or self.capacity <= 0:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._total -= self._weight(old)
            self._items[key] = value
            self._total += weight
            while self._total > self.capacity:
                _, dropped = self._items.popitem(last=False)
                self._total -= self._weight(dropped)
