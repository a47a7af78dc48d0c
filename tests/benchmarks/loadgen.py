"""The load generator: a separate process that posts prepared bodies over keep-alive HTTP.

Run by the benchmark as `python -m tests.benchmarks.loadgen SPEC.json`; SPEC names the URL,
the input's key and secret, the file of bodies (length-prefixed, ready to send) and how many
connections to use. It prints one JSON object: elapsed seconds, latencies and statuses. It
imports no Django, so its CPU cost stays small and apart from the server's.
"""

from __future__ import annotations

import json
import queue
import struct
import sys
import threading
import time
from pathlib import Path

import requests


def read_bodies(path: Path) -> list[bytes]:
    data = path.read_bytes()
    bodies, at = [], 0
    while at < len(data):
        (size,) = struct.unpack_from(">I", data, at)
        at += 4
        bodies.append(data[at : at + size])
        at += size
    return bodies


def write_bodies(path: Path, bodies: list[bytes]) -> None:
    with path.open("wb") as out:
        for body in bodies:
            out.write(struct.pack(">I", len(body)))
            out.write(body)


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    bodies = read_bodies(Path(spec["bodies"]))
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()

    def connection() -> None:
        with requests.Session() as session:  # one keep-alive connection per thread
            session.auth = (spec["key"], spec["secret"])
            session.headers["Content-Type"] = "application/json"
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                began = time.perf_counter()
                try:
                    answer = session.post(spec["url"], data=body, timeout=300)
                except requests.RequestException as exc:
                    status, text = "no answer", f"{type(exc).__name__}: {exc}"
                else:
                    status, text = str(answer.status_code), answer.text
                took = time.perf_counter() - began
                with lock:
                    latencies.append(took)
                    statuses[status] = statuses.get(status, 0) + 1
                    if status != "202" and len(failures) < 3:
                        failures.append(text[:500])

    began = time.perf_counter()
    threads = [threading.Thread(target=connection) for _ in range(spec.get("connections", 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    json.dump({"elapsed": elapsed, "latencies": latencies, "statuses": statuses, "failures": failures}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
