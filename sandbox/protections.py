"""Kernel isolation primitives through ctypes: namespaces, Landlock, seccomp, capabilities, rlimits.

This module must stay importable on its own (stdlib only, no package-relative imports): the fork
server loads it by file path so that the sandboxed interpreter never imports the rest of r1reward.
Every function either applies its protection or raises OSError; callers decide what to fall back
to and record what is active.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import struct
from collections.abc import Iterable

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.argtypes = [
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
]
_libc.mount.argtypes = [
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_char_p,
]

IS_X86_64 = os.uname().machine in ("x86_64", "AMD64")

# --- namespaces --------------------------------------------------------------------------------
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWTIME = 0x00000080

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18


def _check(ret: int, what: str) -> int:
    if ret < 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")
    return ret


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(
    source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None
) -> None:
    def enc(s):
        return s.encode() if s is not None else None

    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def write_id_maps(uid: int, gid: int) -> None:
    """Map root inside a fresh user namespace to our own uid/gid (the only mapping allowed
    to an unprivileged process). setgroups must be denied before gid_map can be written."""
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")


# --- prctl / capabilities ----------------------------------------------------------------------
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def prctl(option: int, a2: int = 0, a3: int = 0, a4: int = 0, a5: int = 0) -> int:
    return _check(_libc.prctl(option, a2, a3, a4, a5), f"prctl({option})")


def release_free_memory() -> None:
    """Give the heap's free pages back to the kernel (glibc keeps them): every child is forked
    from the fork server, and what the server keeps resident counts in each child's memory as
    long as the page is shared. A no-op where libc has no malloc_trim (musl)."""
    trim = getattr(_libc, "malloc_trim", None)
    if trim is not None:
        trim(0)


def set_no_new_privs() -> None:
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def drop_capabilities() -> None:
    """Empty the bounding, ambient, inheritable, permitted and effective sets, so that neither
    this process nor anything it execs holds a capability (even as uid 0 of a user namespace)."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0:
            if ctypes.get_errno() == errno.EINVAL:  # past the last capability the kernel knows
                break
            if ctypes.get_errno() != errno.EPERM:  # EPERM: no CAP_SETPCAP; capset below suffices
                raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = struct.pack("Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = ctypes.create_string_buffer(24)  # two zeroed {effective, permitted, inheritable}
    hdr = ctypes.create_string_buffer(header)
    _check(_libc.capset(hdr, data), "capset")


def effective_capabilities() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return -1


# --- rlimits -----------------------------------------------------------------------------------
SIGPENDING = 1024


def set_rlimits(
    *, cpu_s: int, memory_bytes: int, file_bytes: int, open_files: int, processes: int | None
) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_MEMLOCK, (0, 0))
    resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
    # queued signals and POSIX timers count against the host user's quota (one run took all
    # 96k of host root's); counted per user namespace, so this bounds the worker's runs
    resource.setrlimit(resource.RLIMIT_SIGPENDING, (SIGPENDING, SIGPENDING))
    if processes is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


# --- Landlock ----------------------------------------------------------------------------------
SYS_landlock_create_ruleset = 444
SYS_landlock_add_rule = 445
SYS_landlock_restrict_self = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR


def landlock_abi() -> int:
    """0 when the kernel lacks Landlock or it is disabled."""
    ret = _libc.syscall(
        SYS_landlock_create_ruleset,
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION),
    )
    return max(int(ret), 0)


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def landlock_ruleset(
    abi: int, read_paths: list[str], write_paths: list[str], dev_rw: list[str]
) -> int:
    """Build a ruleset fd that denies every filesystem access except reading `read_paths` and
    full access under `write_paths`, and (ABI 4) all TCP bind/connect, and (ABI 6) signals and
    abstract unix sockets leaving the domain. Paths that do not exist are skipped. Built once
    per server; each child enforces it with `landlock_enforce`, getting a domain of its own."""
    handled = _fs_rights(abi)
    net = (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("QQQ", handled, net, scoped)
    elif abi >= 4:
        attr = struct.pack("QQ", handled, net)
    else:
        attr = struct.pack("Q", handled)
    buf = ctypes.create_string_buffer(attr, len(attr))
    rfd = _check(
        _libc.syscall(
            SYS_landlock_create_ruleset, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)
        ),
        "landlock_create_ruleset",
    )
    try:
        for paths, rights in (
            (read_paths, READ),
            (write_paths, handled),
            (dev_rw, FS_READ_FILE | FS_WRITE_FILE),
        ):
            for path in paths:
                try:
                    pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue
                try:
                    allowed = rights & handled
                    if not os.path.isdir(path):
                        allowed &= _FILE_RIGHTS
                    rule = ctypes.create_string_buffer(struct.pack("=Qi", allowed, pfd), 12)
                    _check(
                        _libc.syscall(
                            SYS_landlock_add_rule,
                            ctypes.c_int(rfd),
                            ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH),
                            rule,
                            ctypes.c_uint32(0),
                        ),
                        f"landlock_add_rule {path}",
                    )
                finally:
                    os.close(pfd)
    except BaseException:
        os.close(rfd)
        raise
    return rfd


# syscall(nr, fd, flags) with its argument types declared once: every sandboxed child calls it,
# and converting plain ints costs it less than building ctypes objects per call (~17 us and ~6
# copy-on-write page faults per child).
_restrict_self = ctypes.CFUNCTYPE(
    ctypes.c_long, ctypes.c_long, ctypes.c_int, ctypes.c_uint32, use_errno=True
)(("syscall", _libc))


def landlock_enforce(ruleset_fd: int) -> None:
    """Confine the calling thread (and its future children) to the ruleset. Needs
    no_new_privs."""
    _check(_restrict_self(SYS_landlock_restrict_self, ruleset_fd, 0), "landlock_restrict_self")


# --- seccomp -----------------------------------------------------------------------------------
AUDIT_ARCH_X86_64 = 0xC000003E
_RET_KILL_PROCESS = 0x80000000
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06

# x86_64 numbers of syscalls a judged program never needs and that widen the kernel's attack
# surface or reach outside the sandbox (tracing, mounts, namespaces, keyrings, bpf, io_uring...).
_DENY_X86_64 = {
    "ptrace": 101,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "pidfd_getfd": 438,
    "kcmp": 312,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "chroot": 161,
    "unshare": 272,
    "setns": 308,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
    "open_by_handle_at": 304,
    "name_to_handle_at": 303,
    "kexec_load": 246,
    "kexec_file_load": 320,
    "init_module": 175,
    "finit_module": 313,
    "delete_module": 176,
    "bpf": 321,
    "perf_event_open": 298,
    "keyctl": 250,
    "add_key": 248,
    "request_key": 249,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "reboot": 169,
    "swapon": 167,
    "swapoff": 168,
    "acct": 163,
    "settimeofday": 164,
    "clock_settime": 227,
    "syslog": 103,
    "iopl": 172,
    "ioperm": 173,
    "quotactl": 179,
    "vhangup": 153,
    "uselib": 134,
    "lookup_dcookie": 212,
}
# What a judged program may not do that the fork server itself needs (it fixes permissions of a
# run's files and clears them). Landlock does not govern these: as root, a program could chmod,
# chown, touch or tag any host file it can reach (a setuid bit on a binary, chmod 0 on the stdlib
# that later runs import); SysV IPC objects and POSIX message queues outlive the run in the
# worker's IPC namespace (memory outside every limit, and a channel from one run to the next); a
# socket() reaches pathname unix sockets of host services (Landlock does not govern connect); a
# memfd or an AIO context is memory no limit counts (neither the address space nor the run's
# size-capped /tmp), and so are a socketpair's buffers (the resource review held ~1 GB per
# process in them).
_PROGRAM_DENY_X86_64 = {
    "chmod": 90,
    "fchmod": 91,
    "fchmodat": 268,
    "fchmodat2": 452,
    "chown": 92,
    "fchown": 93,
    "lchown": 94,
    "fchownat": 260,
    "utime": 132,
    "utimes": 235,
    "futimesat": 261,
    "utimensat": 280,
    "setxattr": 188,
    "lsetxattr": 189,
    "fsetxattr": 190,
    "removexattr": 197,
    "lremovexattr": 198,
    "fremovexattr": 199,
    "setxattrat": 463,
    "removexattrat": 466,
    "shmget": 29,
    "shmat": 30,
    "shmctl": 31,
    "semget": 64,
    "semop": 65,
    "semctl": 66,
    "semtimedop": 220,
    "msgget": 68,
    "msgsnd": 69,
    "msgrcv": 70,
    "msgctl": 71,
    "mq_open": 240,  # POSIX message queues live in the IPC namespace too
    "mq_unlink": 241,
    "mq_timedsend": 242,
    "mq_timedreceive": 243,
    "mq_notify": 244,
    "mq_getsetattr": 245,
    "memfd_create": 319,
    "memfd_secret": 447,
    "io_setup": 206,
    "io_destroy": 207,
    "io_getevents": 208,
    "io_submit": 209,
    "io_cancel": 210,
    "io_pgetevents": 333,
    "socket": 41,
    "socketpair": 53,  # its buffers are kernel memory no limit counts (~0.4 MB a pair)
    # inotify and fanotify: Landlock does not govern watches (a program could watch host
    # directories), and their instances count against the host user's quota
    "inotify_init": 253,
    "inotify_init1": 294,
    "inotify_add_watch": 254,
    "fanotify_init": 300,
    "fanotify_mark": 301,
    # sync and syncfs write back the whole host's (or a host file system's) dirty pages
    "sync": 162,
    "syncfs": 306,
}
# File locks: Landlock does not govern them, and a read-only descriptor on any readable host
# file can take one, so a run held host processes off `/usr/bin/env` for its wall time, and two
# concurrent runs on different workers passed bytes by locking and probing host files. Taking a
# lock (flock, F_SETLK, F_SETLKW and the OFD forms) succeeds without taking it: refusing broke
# SQLite file databases ("database is locked"), which single-process judged programs use; a
# program gets no mutual exclusion from it. Asking for a lock's holder fails with ENOLCK ("no
# locks available"), so nothing about other processes' locks is seen either.
_SYS_flock = 73
_SET_LOCK_FCNTL = {"F_SETLK": 6, "F_SETLKW": 7, "F_OFD_SETLK": 37, "F_OFD_SETLKW": 38}
_GET_LOCK_FCNTL = {"F_GETLK": 5, "F_OFD_GETLK": 36}
# Calls that act on another process named by pid: a program may aim them only at itself (pid
# 0). Landlock does not govern them, and the fork server runs as the same user in the same pid
# namespace (it is PID 1 there), so `prlimit(1, RLIMIT_AS, ...)` lowered the server's hard
# limits and failed every later run on the worker; `setpriority` and `sched_setaffinity`
# reniced and pinned it for good.
_SELF_ONLY_X86_64 = {
    "prlimit64": 302,
    "sched_setaffinity": 203,
    "sched_setscheduler": 144,
    "sched_setparam": 142,
    "sched_setattr": 314,
    "migrate_pages": 256,
    "move_pages": 279,
}
_SYS_setpriority, _PRIO_PROCESS = 141, 0  # setpriority(which, who, prio): (PRIO_PROCESS, 0) only
_SYS_ioprio_set, _IOPRIO_WHO_PROCESS = 251, 1  # ioprio_set(which, who, prio): likewise
# process_madvise and process_mrelease act on another process through a pidfd: refused outright.
_OTHER_PROCESS_X86_64 = {"process_madvise": 440, "process_mrelease": 448}
# fcntl commands that reach beyond the run: a lease on a host file blocks host writers, and
# dnotify watches host directories (inotify and fanotify are refused for the same reason).
_SYS_fcntl = 72
_REFUSED_FCNTL = {"F_SETLEASE": 1024, "F_NOTIFY": 1026}
_SYS_ioctl = 16
# The ioctl requests a program's runtime makes (tty probes, bytes ready, non-blocking and
# close-on-exec flags, which CPython sets by ioctl). Any other request, FS_IOC_SETFLAGS and
# FS_IOC_SETVERSION on a host file opened read-only among them (Landlock governs neither, and as
# root a program owns every host file), fails with ENOTTY.
_PROGRAM_IOCTLS = {
    "TCGETS": 0x5401,
    "TIOCGWINSZ": 0x5413,
    "FIONREAD": 0x541B,
    "FIONBIO": 0x5421,
    "FIONCLEX": 0x5450,
    "FIOCLEX": 0x5451,
}
_SYS_socket, _SYS_socketpair, _SYS_clone, _SYS_clone3 = 41, 53, 56, 435
_NS_FLAGS = (
    CLONE_NEWNS
    | CLONE_NEWCGROUP
    | CLONE_NEWUTS
    | CLONE_NEWIPC
    | CLONE_NEWUSER
    | CLONE_NEWPID
    | CLONE_NEWNET
    | CLONE_NEWTIME
)
AF_UNIX = 1


class _Filter:
    """A classic-BPF seccomp program for x86_64, built instruction by instruction: the arch
    check and the syscall number load first, then deny rules, then whatever the caller adds."""

    def __init__(self) -> None:
        self.ins: list[tuple[int, int, int, int]] = []
        self.stmt(_LD_W_ABS, 4)  # arch
        self.jump(_JEQ_K, AUDIT_ARCH_X86_64, 1, 0)
        self.stmt(_RET_K, _RET_KILL_PROCESS)
        self.stmt(_LD_W_ABS, 0)  # nr
        self.jump(_JGE_K, 0x40000000, 0, 1)  # x32 ABI: refuse outright
        self.stmt(_RET_K, _RET_KILL_PROCESS)

    def stmt(self, code: int, k: int) -> None:
        self.ins.append((code, 0, 0, k))

    def jump(self, code: int, k: int, jt: int, jf: int) -> None:
        self.ins.append((code, jt, jf, k))

    def deny(self, numbers: Iterable[int], err: int = errno.EPERM) -> None:
        for nr in sorted(numbers):
            self.jump(_JEQ_K, nr, 0, 1)
            self.stmt(_RET_K, _RET_ERRNO | err)

    def refuse_unless(self, nr: int, checks: list[tuple[int, int]], err: int = errno.EPERM):
        """Refuse syscall `nr` unless every (argument index, value) check holds (the low 32
        bits: pids and the other arguments checked here are ints)."""
        self.jump(_JEQ_K, nr, 0, 2 * len(checks) + 2)  # another syscall: past this rule
        for i, (arg, value) in enumerate(checks):
            self.stmt(_LD_W_ABS, 16 + 8 * arg)
            last = i == len(checks) - 1
            # a failed check jumps to the refusal; the last passed one skips it
            self.jump(_JEQ_K, value, 1 if last else 0, 0 if last else 2 * (len(checks) - 1 - i))
        self.stmt(_RET_K, _RET_ERRNO | err)
        self.stmt(_LD_W_ABS, 0)  # the syscall number again, for the rules after this one

    def refuse_if(self, nr: int, arg: int, values: list[int], err: int = errno.EPERM):
        """Refuse syscall `nr` when argument `arg` (low 32 bits) is one of `values`."""
        self.jump(_JEQ_K, nr, 0, len(values) + 3)
        self.stmt(_LD_W_ABS, 16 + 8 * arg)
        for i, value in enumerate(values):
            last = i == len(values) - 1
            # a match jumps to the refusal; no match at the last skips it
            self.jump(_JEQ_K, value, len(values) - 1 - i, 1 if last else 0)
        self.stmt(_RET_K, _RET_ERRNO | err)
        self.stmt(_LD_W_ABS, 0)

    def program(self) -> bytes:
        return b"".join(struct.pack("HBBI", *i) for i in self.ins)


def _program_filter() -> bytes:
    f = _Filter()
    sockets = {_SYS_socket, _SYS_socketpair}
    f.deny([nr for nr in _PROGRAM_DENY_X86_64.values() if nr not in sockets])
    f.deny(sockets, errno.EAFNOSUPPORT)
    f.deny(_OTHER_PROCESS_X86_64.values())
    for nr in sorted(_SELF_ONLY_X86_64.values()):
        f.refuse_unless(nr, [(0, 0)])
    f.refuse_unless(_SYS_setpriority, [(0, _PRIO_PROCESS), (1, 0)])
    f.refuse_unless(_SYS_ioprio_set, [(0, _IOPRIO_WHO_PROCESS), (1, 0)])
    f.refuse_if(_SYS_fcntl, 1, sorted(_REFUSED_FCNTL.values()))
    f.deny([_SYS_flock], 0)  # errno 0: the call returns 0, and nothing is locked
    f.refuse_if(_SYS_fcntl, 1, sorted(_SET_LOCK_FCNTL.values()), 0)
    f.refuse_if(_SYS_fcntl, 1, sorted(_GET_LOCK_FCNTL.values()), errno.ENOLCK)
    allowed = sorted(_PROGRAM_IOCTLS.values())
    f.jump(_JEQ_K, _SYS_ioctl, 0, len(allowed) + 2)  # not ioctl: skip to the final allow
    f.stmt(_LD_W_ABS, 24)  # args[1] (the request), low 32 bits
    for k, request in enumerate(allowed):
        f.jump(_JEQ_K, request, len(allowed) - k, 0)  # to the final allow
    f.stmt(_RET_K, _RET_ERRNO | errno.ENOTTY)
    f.stmt(_RET_K, _RET_ALLOW)
    return f.program()


def _seccomp_program() -> bytes:
    f = _Filter()
    stmt, jump = f.stmt, f.jump
    eperm = _RET_ERRNO | errno.EPERM
    f.deny(_DENY_X86_64.values())
    jump(_JEQ_K, _SYS_clone3, 0, 1)  # flags live in memory we cannot inspect: force clone()
    stmt(_RET_K, _RET_ERRNO | errno.ENOSYS)
    # clone(flags, ...): no new namespaces
    jump(_JEQ_K, _SYS_clone, 0, 3)
    stmt(_LD_W_ABS, 16)  # args[0] low 32 bits
    jump(_JSET_K, _NS_FLAGS, 0, 1)
    stmt(_RET_K, eperm)
    stmt(_LD_W_ABS, 0)
    # socket()/socketpair(): AF_UNIX only (no IP, raw, packet, netlink...)
    jump(_JEQ_K, _SYS_socket, 1, 0)
    jump(_JEQ_K, _SYS_socketpair, 0, 3)
    stmt(_LD_W_ABS, 16)
    jump(_JEQ_K, AF_UNIX, 1, 0)
    stmt(_RET_K, _RET_ERRNO | errno.EAFNOSUPPORT)
    stmt(_RET_K, _RET_ALLOW)
    return f.program()


def seccomp_supported() -> bool:
    return IS_X86_64


def install_seccomp() -> None:
    """Install the deny-list filter on this thread (inherited by children). Needs no_new_privs."""
    _install(_seccomp_program())


_program_fprog: tuple | None = None  # (filter buffer, sock_fprog buffer)


def prepare_program_seccomp() -> None:
    """Build the program filter once in the fork server, so each child only installs it."""
    global _program_fprog
    _program_fprog = _fprog(_program_filter())


def install_program_seccomp() -> None:
    """Stack the judged program's stricter filter (`_PROGRAM_DENY_X86_64`) on this thread, in
    each child that runs a program; the fork server keeps what it needs for cleanup."""
    if _program_fprog is None:
        prepare_program_seccomp()
    _set_filter(_program_fprog[1])  # type: ignore[index]


def _fprog(prog: bytes) -> tuple:
    if not IS_X86_64:
        raise OSError(errno.ENOSYS, "seccomp filter only built for x86_64")
    filt = ctypes.create_string_buffer(prog, len(prog))
    fprog = struct.pack("HxxxxxxQ", len(prog) // 8, ctypes.addressof(filt))
    return filt, ctypes.create_string_buffer(fprog, len(fprog))


def _install(prog: bytes) -> None:
    buffers = _fprog(prog)  # both alive until the kernel has copied the filter
    _set_filter(buffers[1])


def _set_filter(fbuf) -> None:
    _check(
        _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fbuf), 0, 0), "seccomp"
    )
