"""Benchmarks: `make bench` (python -m tests.benchmarks [SECTION ...]); not part of `make test`.

Each section is a module here with `SECTION` (its name), `add_arguments(parser)` and
`run(options) -> list[Figure]`; list it in `SECTIONS` to add it to the table. Sections run
against their own database, `openaudience_bench`, recreated at the start of every run, or,
when the module sets `DATA_SET = True`, against the large generated data set of `dataset.py`
in `openaudience_bench_engine`, built once and kept (or another `dataset.Shape`, as the
standard section's 12 months in `openaudience_bench_standard`).
"""

from __future__ import annotations

SECTIONS = {
    "ingestion": "tests.benchmarks.ingestion",
    "downloads": "tests.benchmarks.downloads",
    "engine": "tests.benchmarks.engine",
    "realtime": "tests.benchmarks.realtime",
    "forwarding": "tests.benchmarks.forwarding",
    "standard": "tests.benchmarks.standard",
}
