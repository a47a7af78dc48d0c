"""A paced load generator: posts prepared bodies at a steady rate and notes when each was answered.

Run by the benchmark as `python -m tests.benchmarks.pacer SPEC.json`; SPEC names the URL, the
input's key and secret, the file of bodies (as `loadgen.write_bodies` writes them), the rate
in requests per second and the number of connections. Request k is sent at start + k / rate
(or as soon as a connection is free, if the server falls behind). It prints one JSON object:
for each request, the wall-clock time (`time.time()`) it was sent and answered, and its
status, so the benchmark can match each answer with what the database shows later. No
Django here: its CPU cost stays small and apart from the server's.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import requests

from tests.benchmarks.loadgen import read_bodies


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    bodies = read_bodies(Path(spec["bodies"]))
    interval = 1.0 / spec["rate"]
    results: list[list | None] = [None] * len(bodies)
    next_index = 0
    lock = threading.Lock()
    start = time.monotonic() + 0.2
    failures: list[str] = []

    def connection() -> None:
        nonlocal next_index
        with requests.Session() as session:  # one keep-alive connection per thread
            session.auth = (spec["key"], spec["secret"])
            session.headers["Content-Type"] = "application/json"
            while True:
                with lock:
                    index = next_index
                    next_index += 1
                if index >= len(bodies):
                    return
                delay = start + index * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                sent = time.time()
                answer = session.post(spec["url"], data=bodies[index], timeout=120)
                results[index] = [sent, time.time(), answer.status_code]
                if answer.status_code != 202 and len(failures) < 3:
                    failures.append(answer.text[:500])

    threads = [threading.Thread(target=connection) for _ in range(spec.get("connections", 2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    json.dump({"requests": results, "failures": failures}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
