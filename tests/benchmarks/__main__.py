"""python -m tests.benchmarks [SECTION ...]: run the sections (all by default), print a table."""

from __future__ import annotations

import argparse
import importlib
import time

from tests.benchmarks import SECTIONS
from tests.benchmarks.harness import Figure, bench_url, load_average, machine, print_table, use_bench_database


def main() -> None:
    modules = {name: importlib.import_module(path) for name, path in SECTIONS.items()}
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"one of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    for module in modules.values():
        module.add_arguments(parser)
    options = parser.parse_args()
    chosen = options.sections or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")

    print(f"Machine: {machine()}; load average {load_average()} at start", flush=True)
    print(f"Benchmark database: {bench_url()} (recreated)", flush=True)
    use_bench_database()
    figures: list[Figure] = []
    began = time.monotonic()
    for name in chosen:
        figures.extend(modules[name].run(options))
    print(f"\nFigures ({time.monotonic() - began:.0f} s; load average {load_average()} at the end):")
    print_table(figures)


if __name__ == "__main__":
    main()
