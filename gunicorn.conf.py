"""Gunicorn settings every web process of the project shares (gunicorn reads this file when it
is started from the repository root; command-line flags still win).

Only what the project itself needs lives here; workers, threads and the bind address are the
deployment's choice.
"""

from __future__ import annotations

import gc

# An Events API request of 100 batches allocates some 300,000 short-lived objects. With
# CPython's default collector thresholds (700, 10, 10) the cyclic collector runs hundreds of
# times a request and its older-generation passes walk the whole Django heap: about a fifth
# of the request's CPU time (measured in docs/benchmarks.md). Those objects are freed by
# reference counting anyway; cycles are still collected, just less often.
GC_THRESHOLDS = (50_000, 20, 100)


def post_fork(server, worker) -> None:
    gc.set_threshold(*GC_THRESHOLDS)
