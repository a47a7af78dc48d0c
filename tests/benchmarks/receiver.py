"""A fast local Webhook receiver, and a plain client that replays what it received.

`python -m tests.benchmarks.receiver serve PORT SECRET FOLDER` serves HTTP/1.1 with keep-alive
in threads. Every POST is checked as docs/webhook.md tells a receiver to (HMAC-SHA256 of the
raw body, `hmac.compare_digest`; a bad signature gets 401), parsed, counted (members and
identities), and answered 200. It notes the wall-clock time (`time.time()`) at which each
add arrived, by audience and mpid, and keeps the raw bodies with their signatures while
recording is on, so the same payloads can be posted again by a plain client. GET
/control/stats, /control/adds, /control/reset, /control/record/on|off and /control/save
(writes the recorded bodies to FOLDER/bodies.bin) drive it.

`python -m tests.benchmarks.receiver replay URL FOLDER` posts FOLDER/bodies.bin with
the recorded headers over one keep-alive connection (httpx, as the product's partner clients
use) and prints elapsed seconds and identities: the baseline the forwarding pipeline is
compared with.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SIGNATURE_HEADER = "X-OpenAudience-Signature"


class State:
    def __init__(self, secret: str, folder: Path):
        self.secret = secret.encode()
        self.folder = folder
        self.lock = threading.Lock()
        self.recording = False
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests = 0
            self.members = 0
            self.identities = 0
            self.bad_signatures = 0
            self.first_at: float | None = None
            self.last_at: float | None = None
            self.adds: list[tuple[int, int, float]] = []
            self.recorded: list[tuple[bytes, bytes]] = []


def count_identities(members: list[dict]) -> int:
    return sum(len(values) for member in members for values in member["identities"].values())


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def answer(self, status: int, body: bytes = b"{}") -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrived = time.time()
            signature = self.headers.get(SIGNATURE_HEADER, "")
            expected = "sha256=" + hmac.new(state.secret, raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, signature):
                with state.lock:
                    state.bad_signatures += 1
                self.answer(401, b'{"error": "bad signature"}')
                return
            document = json.loads(raw)
            adds, drops = document.get("adds", []), document.get("drops", [])
            audience = document.get("audience", {}).get("id")
            with state.lock:
                state.requests += 1
                state.members += len(adds) + len(drops)
                state.identities += count_identities(adds) + count_identities(drops)
                state.first_at = state.first_at or arrived
                state.last_at = time.time()
                state.adds.extend((audience, member["mpid"], arrived) for member in adds)
                if state.recording:
                    state.recorded.append((raw, signature.encode()))
            self.answer(200)

        def do_GET(self) -> None:
            path = self.path
            if path == "/control/stats":
                with state.lock:
                    stats = {
                        "requests": state.requests,
                        "members": state.members,
                        "identities": state.identities,
                        "bad_signatures": state.bad_signatures,
                        "first_at": state.first_at,
                        "last_at": state.last_at,
                    }
                self.answer(200, json.dumps(stats).encode())
            elif path == "/control/adds":
                with state.lock:
                    adds = list(state.adds)
                self.answer(200, json.dumps(adds).encode())
            elif path == "/control/reset":
                state.reset()
                self.answer(200)
            elif path in ("/control/record/on", "/control/record/off"):
                state.recording = path.endswith("/on")
                self.answer(200)
            elif path == "/control/save":
                with state.lock, (state.folder / "bodies.bin").open("wb") as out:
                    for raw, signature in state.recorded:
                        out.write(struct.pack(">II", len(raw), len(signature)))
                        out.write(raw)
                        out.write(signature)
                self.answer(200)
            else:
                self.answer(404)

    return Handler


def serve(port: int, secret: str, folder: str) -> None:
    state = State(secret, Path(folder))
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(state))
    server.daemon_threads = True
    server.serve_forever()


def read_recorded(folder: Path) -> list[tuple[bytes, str]]:
    data = (folder / "bodies.bin").read_bytes()
    found, at = [], 0
    while at < len(data):
        size, signature_size = struct.unpack_from(">II", data, at)
        at += 8
        raw = data[at : at + size]
        at += size
        found.append((raw, data[at : at + signature_size].decode()))
        at += signature_size
    return found


def replay(url: str, folder: str) -> None:
    import httpx

    bodies = read_recorded(Path(folder))
    identities = sum(
        count_identities(document.get("adds", [])) + count_identities(document.get("drops", []))
        for document in (json.loads(raw) for raw, _ in bodies)
    )
    statuses: dict[str, int] = {}
    with httpx.Client(timeout=30) as client:
        began = time.perf_counter()
        for raw, signature in bodies:
            answer = client.post(
                url, content=raw, headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature}
            )
            statuses[str(answer.status_code)] = statuses.get(str(answer.status_code), 0) + 1
        elapsed = time.perf_counter() - began
    json.dump({"elapsed": elapsed, "requests": len(bodies), "identities": identities, "statuses": statuses}, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "replay":
        replay(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("usage: receiver serve PORT SECRET FOLDER | receiver replay URL FOLDER")
