"""`make bench`: run every `benchmarks/bench_*.py` in turn, or the ones named on the command line."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    if not names:
        print("benchmarks: none defined yet")
        return 0
    for name in names:
        print(f"== {name}")
        module = importlib.import_module(f"benchmarks.{name}")
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
