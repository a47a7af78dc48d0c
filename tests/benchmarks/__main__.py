"""python -m tests.benchmarks [SECTION ...]: run the sections (all by default), print a table."""

from __future__ import annotations

import argparse
import importlib
import time

from tests.benchmarks import SECTIONS, dataset
from tests.benchmarks.harness import (
    BENCH_DB,
    Figure,
    load_average,
    machine,
    print_table,
    use_bench_database,
    use_database,
)


def main() -> None:
    modules = {name: importlib.import_module(path) for name, path in SECTIONS.items()}
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"one of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    dataset.add_arguments(parser)
    for module in modules.values():
        module.add_arguments(parser)
    options = parser.parse_args()
    chosen = options.sections or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")

    print(f"Machine: {machine()}; load average {load_average()} at start", flush=True)
    figures: list[Figure] = []
    began = time.monotonic()
    fresh = False
    for name in chosen:
        module = modules[name]
        # Sections on the large generated data set share one kept database; the others get
        # a database recreated once per run.
        if getattr(module, "DATA_SET", False):
            dataset.use_dataset(options, module.DATA_SET)
        elif not fresh:
            print(f"Benchmark database: {use_bench_database()} (recreated)", flush=True)
            fresh = True
        else:
            use_database(BENCH_DB, recreate=False)
        found = module.run(options)
        print(f"\n[{name}] load average {load_average()}")
        print_table(found)
        print(flush=True)
        figures.extend(found)
    print(f"\nFigures ({time.monotonic() - began:.0f} s; load average {load_average()} at the end):")
    for name in chosen:
        print()
        print_table([figure for figure in figures if figure.section == name])


if __name__ == "__main__":
    main()
