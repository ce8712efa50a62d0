"""C++ support: compile once per distinct source (inside the sandbox), cache the binary.

g++ itself runs sandboxed: hostile source can `#include` a host file or `/dev/zero`, or make the
compiler explode. Binaries are cached in parent memory by source hash (an LRU bounded in entries
and in bytes), and sent to the fork server for each run, so nothing is written on the host. A
binary is at most MAX_BINARY_BYTES (the compiler's file-size limit): an initialised 60 MB array
compiles in a second, and 256 of them would hold 16 GB of the caller's memory.

Every source is compiled with `STARTUP` appended (`with_startup`): judges give a C++ program a
stack as large as its memory limit (Codeforces, AtCoder), and a recursive DFS a million deep, a
common accepted solution, needs about 100 MB of it. The sandbox starts programs with the usual 8
MB, so the startup code, before any of the program's own code runs, raises its stack limit to its
address-space limit and re-executes the binary, whose stack is then laid out for that size;
threads keep 8 MB stacks by default. Appended, not prepended, so diagnostics keep the program's
line numbers; written without identifiers a program's macros could plausibly redefine
(`#define int long long`, `#define s second`, `#define used ...`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from .limits import Limits, max_open_files

# (binary or None, diagnostics), or with a third item False when the result must not be cached
Compiler = Callable[[str], "tuple[bytes | None, str] | tuple[bytes | None, str, bool]"]
MAX_BINARY_BYTES = 16 << 20
# What one compile may use (`Sandbox(compile_limits=...)`); its file-size limit is always
# MAX_BINARY_BYTES. Codeforces allows about 30 s.
COMPILE_LIMITS = Limits(
    cpu_s=20,
    wall_s=30,
    memory_mb=2048,
    output_bytes=1 << 16,
    processes=16,
    open_files=min(256, max_open_files()),  # a host with a lower hard limit must still import
    file_bytes=MAX_BINARY_BYTES,
)
STACK_MB_WITHOUT_AS_LIMIT = 1024

# Runs first (constructor priority 101) with glibc's (argc, argv, envp). Symbols are bound by
# assembler name, so nothing is declared that the program's own headers also declare.
# RLIMIT_STACK is 3 and RLIMIT_AS 9 on Linux.
STARTUP = (
    """

extern "C" {
struct __r1_rlimit { decltype(0UL) __cur, __max; };
decltype(0) __r1_getrlimit(decltype(0), __r1_rlimit*) __asm__("getrlimit");
decltype(0) __r1_setrlimit(decltype(0), const __r1_rlimit*) __asm__("setrlimit");
decltype(0) __r1_execve(const void*, void*, void*) __asm__("execve");
decltype(0) __r1_attr_init(void*) __asm__("pthread_attr_init") __attribute__((__weak__));
decltype(0) __r1_attr_setstacksize(void*, decltype(0UL))
    __asm__("pthread_attr_setstacksize") __attribute__((__weak__));
decltype(0) __r1_attr_destroy(void*) __asm__("pthread_attr_destroy") __attribute__((__weak__));
decltype(0) __r1_setattr_default(const void*)
    __asm__("pthread_setattr_default_np") __attribute__((__weak__));
}
__attribute__((__constructor__(101), __used__)) static void __r1_stack(
    decltype(0), void* __argv, void* __envp) {
  __r1_rlimit __s, __a;
  if (__r1_getrlimit(3, &__s) != 0 || __r1_getrlimit(9, &__a) != 0 || __s.__cur == ~0UL) return;
  decltype(0UL) __want = __a.__cur == ~0UL ? """
    + f"{STACK_MB_WITHOUT_AS_LIMIT}UL << 20"
    + """ : __a.__cur;
  if (__s.__max != ~0UL && __want > __s.__max) __want = __s.__max;
  if (__s.__cur < __want) {
    __s.__cur = __want;
    if (__r1_setrlimit(3, &__s) == 0) __r1_execve("/proc/self/exe", __argv, __envp);
  }
  if (__r1_attr_init && __r1_attr_setstacksize && __r1_setattr_default) {
    decltype('a') __attr[256] __attribute__((__aligned__(64)));
    if (__r1_attr_init(__attr) == 0) {
      if (__r1_attr_setstacksize(__attr, 8UL << 20) == 0) __r1_setattr_default(__attr);
      if (__r1_attr_destroy) __r1_attr_destroy(__attr);
    }
  }
}
"""
)


def with_startup(source: str) -> str:
    """The program as compiled: its own text, then the startup code (see the module's doc)."""
    return source + STARTUP


class _Compiling:
    """A compile in flight: callers with the same source wait for its result."""

    __slots__ = ("done", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: tuple[bytes | None, str] | None = None


class CppCache:
    def __init__(self, max_entries: int = 256, max_bytes: int = 256 << 20) -> None:
        self._max = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._items: OrderedDict[str, tuple[bytes | None, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[str, _Compiling] = {}

    def get_or_compile(self, source: str, compile_fn: Compiler) -> tuple[bytes | None, str]:
        key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
                pending = self._inflight.get(key)
                if pending is None:
                    pending = self._inflight[key] = _Compiling()
                    break
            pending.done.wait()  # another thread compiles the same source
            if pending.result is not None:  # its result, kept or not (a GRPO group's copies
                return pending.result  # of one program share one compile)
            # that compile raised: try again
        try:
            made = compile_fn(with_startup(source))
            result = pending.result = (made[0], made[1])
            # a third item False: a sandbox failure or a compile starved by concurrent runs,
            # which says nothing about the source, is returned but not kept
            if len(made) > 2 and not made[2]:
                return result
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
            pending.done.set()
