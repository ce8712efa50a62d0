"""C++ support: compile once per distinct source (inside the sandbox), cache the binary.

g++ itself runs sandboxed: hostile source can `#include` a host file or `/dev/zero`, or make the
compiler explode. Binaries are cached in parent memory by source hash (an LRU bounded in entries
and in bytes), and sent to the fork server for each run, so nothing is written on the host. A
binary is at most MAX_BINARY_BYTES (the compiler's file-size limit): an initialised 60 MB array
compiles in a second, and 256 of them would hold 16 GB of the caller's memory.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

Compiler = Callable[[str], "tuple[bytes | None, str]"]
MAX_BINARY_BYTES = 16 << 20


class CppCache:
    def __init__(self, max_entries: int = 256, max_bytes: int = 256 << 20) -> None:
        self._max = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
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
                self._bytes += len(result[0] or b"")
                while len(self._items) > self._max or self._bytes > self._max_bytes:
                    _, (binary, _) = self._items.popitem(last=False)
                    self._bytes -= len(binary or b"")
            return result
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            event.set()
