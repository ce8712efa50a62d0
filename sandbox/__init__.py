"""Local sandbox for untrusted code (see issue 3).

`Sandbox(workers=N, limits=Limits(...))` keeps N warm fork servers that isolate themselves
once (namespaces, private /tmp, fresh /proc) and fork a confined child per run (rlimits,
Landlock, seccomp, no capabilities). `Sandbox.report()` says which protections are active.
"""

from .limits import STATUSES, Execution, Limits
from .pool import RawRun, Sandbox
from .report import ProtectionReport

__all__ = ["STATUSES", "Execution", "Limits", "ProtectionReport", "RawRun", "Sandbox"]
