"""Benchmarks: `make bench` (python -m tests.benchmarks [SECTION ...]); not part of `make test`.

Each section is a module here with `SECTION` (its name), `add_arguments(parser)` and
`run(options) -> list[Figure]`; list it in `SECTIONS` to add it to the table. Sections run
against their own database, `openaudience_bench`, recreated at the start of every run.
"""

from __future__ import annotations

SECTIONS = {
    "ingestion": "tests.benchmarks.ingestion",
    "downloads": "tests.benchmarks.downloads",
}
