"""Shared test helpers: where the shared data lives (beside the project root)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def load_shared_jsonl(relative: str) -> list[dict]:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"shared data {path} is not present")
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
