"""A job module whose import never finishes (a broken environment), for the batch core tests."""

from __future__ import annotations

import time

time.sleep(60)


def echo(payload: tuple, timeout: float):
    return payload[0]
