"""Resource limits for one run and the frozen record of what a run did."""

from __future__ import annotations

import numbers
import resource
from dataclasses import asdict, dataclass
from decimal import Decimal

STATUSES = (
    "ok",
    "runtime_error",
    "timeout",
    "memory_limit",
    "output_limit",
    "compile_error",
    "sandbox_error",
)


_SECONDS = ("cpu_s", "wall_s")
MAX_SECONDS = 86_400.0  # a day: more is a mistake, and past ~1e9 the waits overflow
# what the kernel takes: rlimits in bytes fit 63 bits; pids.max (processes + up to 6 for the
# harness) at most the kernel's largest pid_max, 2^22
_MAX_COUNT = {
    "memory_mb": 1 << 40,
    "output_bytes": 1 << 62,
    "processes": (1 << 22) - 6,
    "file_bytes": 1 << 62,
}


def _whole(value: numbers.Real) -> bool:
    try:
        return float(value).is_integer()
    except OverflowError:  # a Fraction past any float: past every bound below too
        return True


def max_open_files() -> int:
    """The most descriptors a run may have: the hard RLIMIT_NOFILE the workers inherit from us
    (they cannot raise it)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 1 << 20 if hard == resource.RLIM_INFINITY else hard


def _max_count(name: str) -> int:
    return max_open_files() if name == "open_files" else _MAX_COUNT[name]


@dataclass(frozen=True)
class Limits:
    """Per-run limits. Defaults suit one judged program in an RL rollout: generous enough for
    competitive-programming solutions, small enough that a hostile one cannot stall a trainer."""

    cpu_s: float = 5.0
    wall_s: float = 10.0
    # address-space cap (RLIMIT_AS) of each process, and of the resident anonymous memory of
    # all the run's processes together (weighed every 10 ms while it runs)
    memory_mb: int = 512
    output_bytes: int = 1 << 20  # stdout cap; the run is killed when it is exceeded
    processes: int = 64  # processes + threads of the run (cgroup pids / RLIMIT_NPROC)
    open_files: int = 128
    file_bytes: int = 16 << 20  # largest file the run may write (RLIMIT_FSIZE)

    def __post_init__(self) -> None:
        """Refuse what no run can use here, not at every run: a NaN, infinite or huge time broke
        the worker's wait (the run raised and its worker was lost), and a fraction or a count
        the kernel refuses made every run a sandbox_error, scored None without a word."""
        for name, value in asdict(self).items():
            if isinstance(value, Decimal):  # a number, though not a numbers.Real
                if not value.is_finite():
                    raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")
                # a float first when large (int() of Decimal('1e1000000') takes seconds) or
                # fractional; no context arithmetic, which overflows on such exponents
                whole = value.adjusted() < 20 and value == value.to_integral_value()
                value = int(value) if whole else float(value)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
                raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")
            if name in _SECONDS:
                if not value <= MAX_SECONDS:  # NaN fails this too
                    raise ValueError(
                        f"Limits.{name} must be at most {MAX_SECONDS} seconds, got {value!r}"
                    )
                object.__setattr__(self, name, float(value))
                continue
            if not isinstance(value, numbers.Integral) and _whole(value):
                value = int(value)  # 512.0 from a config file means 512 (numpy, Fraction too)
            if not isinstance(value, numbers.Integral):
                raise ValueError(f"Limits.{name} must be a whole number, got {value!r}")
            if value > _max_count(name):
                raise ValueError(f"Limits.{name} must be at most {_max_count(name)}, got {value!r}")
            object.__setattr__(self, name, int(value))  # numpy ints: plain ones on the wire
        if self.memory_mb < 32:
            raise ValueError("Limits.memory_mb below 32 cannot run an interpreter")

    def to_wire(self) -> dict:
        return dict(vars(self))  # flat and immutable: no need for asdict's deep copy


@dataclass(frozen=True)
class Execution:
    """What one run did. `status` is one of STATUSES; `memory_mb` is the peak resident size."""

    status: str
    exit_code: int | None
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float
    memory_mb: float
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"
