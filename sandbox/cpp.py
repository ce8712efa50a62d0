"""C++ support: compile once per distinct source (inside the sandbox), cache the binary.

g++ itself runs sandboxed: hostile source can `#include` a host file or `/dev/zero`, or make the
compiler explode. Binaries are cached in parent memory by source hash (bounded LRU), and sent to
the fork server for each run, so nothing is written on the host.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

Compiler = Callable[[str], "tuple[bytes | None, str]"]


class CppCache:
    def __init__(self, max_entries: int = 256) -> None:
        self._max = max_entries
        self._items: OrderedDict[str, tuple[bytes | None, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[str, threading.Event] = {}

    def get_or_compile(self, source: str, compile_fn: Compiler) -> tuple[bytes | None, str]:
        key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
                event = self._inflight.get(key)
                if event is None:
                    event = self._inflight[key] = threading.Event()
                    break
            event.wait()  # another thread compiles the same source
        try:
            result = compile_fn(source)
            with self._lock:
                self._items[key] = result
                while len(self._items) > self._max:
                    self._items.popitem(last=False)
            return result
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            event.set()
