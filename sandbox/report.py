"""Which protections a Sandbox actually has on this host, so nothing runs silently unprotected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProtectionReport:
    user_namespace: bool
    pid_namespace: bool
    net_namespace: bool
    mount_namespace: bool
    ipc_namespace: bool
    fresh_proc: bool
    private_tmp: bool
    landlock_abi: int  # 0: no Landlock
    seccomp: bool
    cgroup_pids: bool
    nproc_limit: bool  # RLIMIT_NPROC is effective (the sandbox uid is not host root)
    dropped_capabilities: bool
    subreaper: bool
    notes: tuple[str, ...] = ()
    private_shm: bool = True  # /dev/shm covered read-only (Landlock refuses writes there too)

    @property
    def process_cap(self) -> bool:
        """A fork bomb is bounded by a kernel counter (cgroup pids or RLIMIT_NPROC)."""
        return self.cgroup_pids or self.nproc_limit

    @property
    def missing(self) -> tuple[str, ...]:
        """Every protection this host did not give, so a warning names each one (the process
        cap is one protection with two mechanisms)."""
        names = [name for name in _PROTECTIONS if not getattr(self, name)]
        if not self.landlock_abi:
            names.append("landlock")
        if not self.process_cap:
            names.append("process_cap")
        return tuple(names)

    def weakest(self, other: ProtectionReport) -> ProtectionReport:
        """What a pool whose workers gave these two reports can promise: a replacement worker
        that came up with less must not hide behind the first worker's report."""
        flags = {name: getattr(self, name) and getattr(other, name) for name in _FLAGS}
        return ProtectionReport(
            **flags,
            landlock_abi=min(self.landlock_abi, other.landlock_abi),
            notes=tuple(dict.fromkeys(self.notes + other.notes)),
        )

    def describe(self) -> str:
        on = [k for k, v in self.__dict__.items() if v is True]
        lines = [f"active: {', '.join(on)}; landlock ABI {self.landlock_abi}"]
        if self.missing:
            lines.append(f"missing: {', '.join(self.missing)}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


_PROTECTIONS = (
    "user_namespace",
    "pid_namespace",
    "net_namespace",
    "mount_namespace",
    "ipc_namespace",
    "fresh_proc",
    "private_tmp",
    "private_shm",
    "seccomp",
    "dropped_capabilities",
    "subreaper",
)
_FLAGS = (*_PROTECTIONS, "cgroup_pids", "nproc_limit")
