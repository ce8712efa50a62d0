"""Reward functions for TRL, verl, OpenRLHF and custom loops, on one batched scoring core.

Importing this package is cheap: verifiers, the sandbox and worker processes start on first use.
"""

from .compose import Weighted, r1, r1_zero, weighted
from .core import (
    Engine,
    InlineExecutor,
    ItemResult,
    ProcessExecutor,
    default_engine,
    set_default_engine,
)
from .functions import (
    Accuracy,
    CodePass,
    CodePassRate,
    CosineLength,
    LanguageConsistency,
    ReasoningSteps,
    RepetitionPenalty,
    Reward,
    Scored,
    SoftOverlong,
    TagCount,
    ThinkFormat,
)
from .groups import GroupStats, group_stats

__all__ = [
    "Accuracy", "CodePass", "CodePassRate", "CosineLength", "Engine", "GroupStats",
    "InlineExecutor",
    "ItemResult", "LanguageConsistency", "ProcessExecutor", "ReasoningSteps", "RepetitionPenalty",
    "Reward", "Scored", "SoftOverlong", "TagCount", "ThinkFormat", "Weighted", "default_engine",
    "group_stats", "r1", "r1_zero", "set_default_engine", "weighted",
]  # fmt: skip
