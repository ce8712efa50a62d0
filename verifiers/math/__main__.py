"""`python -m r1reward.verifiers.math ROLLOUTS.jsonl`: check math answers of JSONL rollouts.

Each line needs a reference (`ground_truth`, `answer`, `solution` or `gold`) and a completion
(`completion`, `response` or `output`). Prints one verdict a line and an accuracy summary.
Stand-in for `r1reward score` until the command line exists.
"""

from __future__ import annotations

import json
import sys
import time

from . import verify

_GOLD = ("ground_truth", "answer", "solution", "gold")
_PRED = ("completion", "response", "output")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    correct = total = 0
    start = time.perf_counter()
    with open(argv[0], encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            gold = next((row[k] for k in _GOLD if k in row), None)
            pred = next((row[k] for k in _PRED if k in row), None)
            if gold is None or pred is None:
                print(f"line {number}: needs one of {_GOLD} and one of {_PRED}", file=sys.stderr)
                return 2
            v = verify(str(gold), str(pred))
            total += 1
            correct += bool(v)
            print(
                f"{number:4d} {'correct' if v else 'wrong':7} {v.reason:12} "
                f"method={v.method or '-':9} gold={v.gold!r} pred={v.pred!r}"
            )
    elapsed = time.perf_counter() - start
    print(
        f"\naccuracy {correct}/{total} = {correct / max(total, 1):.3f}"
        f"  ({total / elapsed:.0f} rollouts/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
