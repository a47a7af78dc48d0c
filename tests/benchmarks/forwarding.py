"""Forwarding (issue 7): identities per second to a local Webhook receiver beside a plain client
posting the same payloads, and the end-to-end latency from the Events API's 202 to the
receiver getting the add under the real-time load of the realtime section.

Throughput: an audience of the data set (status Premium on iOS, about 120,000 members with an
email and an advertising id each) is connected to a Webhook output whose receiver
(`receiver.py`, its own process, HMAC check on every request) runs locally. Two paths are
timed in-process through `deliver_next_batch()`, the function the Celery task loops on:
following the change log (the connection existed before the audience was calculated, so
every member arrives as an add from the log) and the first snapshot of current members (a
second connection made after). The receiver keeps the bodies and signatures of the log
path; a plain httpx client in another process then posts exactly those bytes to it over one
keep-alive connection: the floor of sending that data over HTTP on this machine.

Latency: the live load of `live.py` with all 50 audiences connected to the receiver; each
add's arrival minus the 202 of the request that carried the user's data.
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks import dataset, engine, live
from tests.benchmarks.harness import ROOT, Figure

SECTION = "forwarding"
DATA_SET = True

FORWARDED = {
    "version": 1,
    "criteria": [
        {"type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"},
        {"join": "and", "type": "device", "field": "platform", "op": "equals", "value": "iOS"},
    ],
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass  # the live load's options are the realtime section's


def stats(url: str) -> dict:
    return json.loads(live.http_get(f"{url}/control/stats"))


def deliver_all(connection_id: int) -> tuple[float, int]:
    from connections.forwarding import deliver_next_batch

    batches = 0
    began = time.perf_counter()
    while deliver_next_batch(connection_id):
        batches += 1
    return time.perf_counter() - began, batches


def throughput_figures(ds: dataset.DataSet, folder: Path) -> list[Figure]:
    from accounts.models import Account
    from audiences.calculation import calculate
    from connections.models import Connection
    from connections.services import create_connection
    from outputs.services import create_configuration

    secret = secrets.token_hex(16)
    account = Account.objects.get(pk=ds.account_id)
    figures = []
    with live.receiver(folder, secret) as url:
        audience = engine.make_audience(ds, "Bench: forwarded", FORWARDED)
        configurations = [
            create_configuration(
                account=account,
                partner="webhook",
                name=f"Bench receiver {n}",
                settings={"url": f"{url}/hook", "secret": secret},
            )
            for n in (1, 2)
        ]
        following = create_connection(audience, configurations[0], acting_user=None)
        deliver_all(following.pk)  # the snapshot of the still empty audience
        print(f"[{SECTION}] calculating the forwarded audience", flush=True)
        calculate(audience, now=ds.now)
        paths = [("change log", following.pk)]
        snapshot = create_connection(audience, configurations[1], acting_user=None)
        paths.append(("snapshot of current members", snapshot.pk))
        for label, connection_id in paths:
            live.http_get(f"{url}/control/reset")
            live.http_get(f"{url}/control/record/{'on' if label == 'change log' else 'off'}")
            print(f"[{SECTION}] forwarding {audience.size:,} members ({label})", flush=True)
            seconds, batches = deliver_all(connection_id)
            got = stats(url)
            connection = Connection.objects.get(pk=connection_id)
            if connection.faulted_at or got["bad_signatures"] or got["members"] != audience.size:
                raise RuntimeError(f"forwarding went wrong: {got}, fault {connection.fault_message!r}")
            figures.append(
                Figure(
                    SECTION,
                    f"forwarding to a local Webhook receiver ({label})",
                    f"{got['identities'] / seconds:,.0f} identities/s",
                    f"{got['identities']:,} identities of {got['members']:,} members in {batches} POSTs "
                    f"({got['members'] / batches:,.0f} members each), {seconds:.1f} s; aim 10,000/s",
                )
            )
            if label == "change log":
                live.http_get(f"{url}/control/save")
                live.http_get(f"{url}/control/record/off")
                done = subprocess.run(
                    [sys.executable, "-m", "tests.benchmarks.receiver", "replay", f"{url}/hook", str(folder)],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                replay = json.loads(done.stdout)
                if set(replay["statuses"]) != {"200"}:
                    raise RuntimeError(f"the receiver refused the replay: {replay['statuses']}")
                pipeline_rate = got["identities"] / seconds
                plain_rate = replay["identities"] / replay["elapsed"]
                figures.append(
                    Figure(
                        SECTION,
                        "  the same payloads POSTed by a plain httpx client (keep-alive)",
                        f"{plain_rate:,.0f} identities/s",
                        f"{replay['requests']} POSTs in {replay['elapsed']:.1f} s; pipeline / plain client "
                        f"{pipeline_rate / plain_rate:.2f}",
                    )
                )
    return figures


def run(options: argparse.Namespace) -> list[Figure]:
    ds = dataset.current()
    engine.fresh_account(ds)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        try:
            figures = throughput_figures(ds, folder)
        finally:
            engine.fresh_account(ds)
        print(f"[{SECTION}] real-time load with every audience connected to the receiver", flush=True)
        secret = secrets.token_hex(16)
        with live.receiver(folder, secret) as url:
            result = live.run(options, seed=options.seed, forward_to=url, secret=secret)
    figures += [
        Figure(
            SECTION,
            f"Events API 202 -> receiver gets the add, {result.rate:.0f} events/s, "
            f"{result.audiences} connected audiences",
            live.describe(result.receiver_latencies),
            f"aim p95 < 5 s; {len(result.receiver_latencies):,} adds; change log in the same run: "
            f"{live.describe(result.log_latencies)}",
        )
    ]
    return figures
