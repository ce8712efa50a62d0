"""`python -m r1reward.sandbox`: print which protections the sandbox gets on this host."""

from __future__ import annotations

import warnings

from . import Sandbox


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Sandbox(workers=1) as sb:
            print(sb.report().describe())
            ex = sb.run("print('hello from the sandbox')")
            print(f"smoke run: {ex.status} in {ex.wall_s * 1000:.1f} ms")


if __name__ == "__main__":
    main()
