"""docs/webhook.md is a contract: its receiver, run as written, works against the real pipeline,
and the body the Webhook sends has exactly the fields the page documents."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from connections import downstream, forwarding
from connections import services as connection_services
from outputs.partners.base import AudienceRef, Member, PartnerError
from outputs.partners.webhook.partner import Webhook
from tests.connections.helpers import audience_with_members, change, webhook_configuration
from tests.partners.stub import Answer, PartnerStub, Received

DOC = Path(settings.BASE_DIR) / "docs" / "webhook.md"
SECRET = "doc-receiver-secret-0123456789"


def _receiver_source() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    return next(block for block in blocks if "ThreadingHTTPServer" in block)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def documented_receiver(tmp_path):
    """The page's receiver, started as a separate process exactly as the page says."""
    script = tmp_path / "receiver.py"
    script.write_text(_receiver_source())
    port = _free_port()
    database = tmp_path / "audiences.db"
    process = subprocess.Popen(
        [sys.executable, str(script)],
        env={"WEBHOOK_SECRET": SECRET, "PORT": str(port), "WEBHOOK_DB": str(database), "PATH": "/usr/bin:/bin"},
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert process.poll() is None, "the documented receiver did not start"
            assert time.monotonic() < deadline, "the documented receiver did not listen"
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/hooks/audiences", database
    process.terminate()
    process.wait(timeout=10)


def _members(database: Path, audience_id: int) -> dict[int, dict]:
    with sqlite3.connect(database) as rows:
        found = rows.execute("SELECT mpid, identities FROM members WHERE audience_id = ?", (audience_id,)).fetchall()
    return {mpid: json.loads(identities) for mpid, identities in found}


def test_the_documented_receiver_keeps_the_audience_deduplicates_and_handles_the_delete(tenant, documented_receiver):
    url, database = documented_receiver
    audience = audience_with_members(tenant, range(1, 1201))
    configuration = webhook_configuration(tenant.account, url, secret=SECRET)
    connection = connection_services.create_connection(audience, configuration, acting_user=tenant.admin)
    forwarding.forward(connection.pk)
    members = _members(database, audience.pk)
    assert set(members) == set(range(1, 1201))
    assert members[7] == {"email": ["user7@example.com"]}

    change(audience, [5, 6], added=False)
    forwarding.forward(connection.pk)
    assert set(_members(database, audience.pk)) == set(range(1, 1201)) - {5, 6}

    # A batch arriving twice (at least once) changes nothing the second time.
    delivered = connection.deliveries.filter(outcome="delivered").order_by("started_at", "pk").first()
    partner = Webhook(Webhook.Configuration.model_validate({"url": url, "secret": SECRET}))
    ref = AudienceRef(audience_id=audience.pk, connection_id=connection.pk, name=audience.forwarded_name)
    partner.send(ref, [Member(mpid=5, identities={"email": ["user5@example.com"]})], [], batch_id=delivered.batch_id)
    assert 5 not in _members(database, audience.pk)

    # A wrong secret is refused with 401, which faults a connection at once, with the reason.
    impostor = Webhook(Webhook.Configuration.model_validate({"url": url, "secret": "somebody-elses-secret"}))
    with pytest.raises(PartnerError) as refused:
        impostor.send(ref, [Member(mpid=99999, identities={"email": ["x@example.com"]})], [], batch_id="forged")
    assert refused.value.permanent and refused.value.status == 401
    assert "signature mismatch" in refused.value.message
    assert 99999 not in _members(database, audience.pk)

    audience_id = audience.pk
    audience.delete()
    assert downstream.run_due() == 1
    assert _members(database, audience_id) == {}
    with sqlite3.connect(database) as rows:
        assert rows.execute("SELECT audience_id FROM deleted_audiences").fetchall() == [(audience_id,)]


class Capture(PartnerStub):
    def handle(self, request: Received) -> Answer:
        return Answer(204)


def test_the_body_has_exactly_the_documented_fields(tenant):
    audience = audience_with_members(tenant, [11, 12])
    with Capture() as stub:
        configuration = webhook_configuration(tenant.account, stub.url + "/hook", secret=SECRET)
        connection = connection_services.create_connection(
            audience, configuration, acting_user=tenant.admin, shared_attributes=["status"]
        )
        forwarding.forward(connection.pk)
        request = stub.requests[0]
    assert request.method == "POST" and request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", request.headers["x-openaudience-signature"])
    body = request.json()
    assert set(body) == {"batch_id", "sent_at", "audience", "adds", "drops"}
    assert isinstance(body["batch_id"], str) and len(body["batch_id"]) <= 64
    assert body["audience"] == {"id": audience.pk, "name": "Paris fans (ext)", "variation": None}
    assert body["adds"][0] == {
        "mpid": 11,
        "identities": {"email": ["user11@example.com"]},
        "attributes": {"status": "Premium"},
    }
    assert body["drops"] == []


class Moved(PartnerStub):
    def handle(self, request: Received) -> Answer:
        return Answer(301, headers={"Location": "https://elsewhere.example/hook"})


def test_a_redirect_is_not_taken_for_a_delivery():
    with Moved() as stub:
        partner = Webhook(Webhook.Configuration.model_validate({"url": stub.url, "secret": SECRET}))
        with pytest.raises(PartnerError) as fault:
            partner.send(AudienceRef(1, 1, "A"), [Member(1, {"email": ["a@x.test"]})], [], batch_id="b")
    assert fault.value.permanent and fault.value.status == 301
    assert "https://elsewhere.example/hook" in fault.value.message
