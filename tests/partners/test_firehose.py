"""Amazon Kinesis Firehose through boto3: against moto's server (a delivery stream writing to
an S3 bucket, read back from S3) for what arrives, and against a stub speaking Firehose's
JSON protocol, with real SigV4 checks, for the answers moto does not give: wrong keys,
access denied, throttling, 429 with Retry-After, service errors and partial failures."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from outputs.partners.base import AudienceRef, Member, PartnerError
from outputs.partners.firehose import partner as firehose_module
from outputs.partners.firehose.partner import Firehose, _chunks
from tests.partners.stub_firehose import ACCESS_KEY, SECRET_KEY, STREAM, FirehoseStub

REGION = "eu-west-1"
BUCKET = "audience-deliveries"
AUDIENCE = AudienceRef(audience_id=7, connection_id=1, name="Paris fans", variation="Variant A")
MOTO_KEY = "AKIAMOTOMOTOMOTO0001"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url: str) -> str:
    """A fresh moto with a bucket and a DirectPut delivery stream writing into it."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=5)
    clients = {"endpoint_url": moto_url, "region_name": REGION, "aws_access_key_id": MOTO_KEY}
    s3 = boto3.client("s3", aws_secret_access_key="x", **clients)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    boto3.client("firehose", aws_secret_access_key="x", **clients).create_delivery_stream(
        DeliveryStreamName=STREAM,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose-delivery",
            "BucketARN": f"arn:aws:s3:::{BUCKET}",
            "Prefix": "audiences/",
        },
    )
    return moto_url


def delivered(moto_url: str) -> list[dict]:
    """Every record that reached the bucket, one JSON document per line."""
    s3 = boto3.client(
        "s3", endpoint_url=moto_url, region_name=REGION, aws_access_key_id=MOTO_KEY, aws_secret_access_key="x"
    )
    lines: list[dict] = []
    for item in s3.list_objects_v2(Bucket=BUCKET, Prefix="audiences/").get("Contents", []):
        body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        assert body.endswith(b"\n")  # every record is newline-terminated, so objects split cleanly
        lines += [json.loads(line) for line in body.splitlines()]
    return lines


def _partner(url: str, *, key: str = ACCESS_KEY, secret: str = SECRET_KEY, stream: str = STREAM) -> Firehose:
    return Firehose(
        Firehose.Configuration.model_validate(
            {
                "delivery_stream_name": stream,
                "region": REGION,
                "aws_access_key_id": key,
                "aws_secret_access_key": secret,
                "base_url": url,
            }
        )
    )


@pytest.fixture
def stub() -> Iterator[FirehoseStub]:
    with FirehoseStub() as server:
        yield server


@pytest.fixture
def quick_resends(monkeypatch):
    monkeypatch.setattr(firehose_module, "RESEND_PAUSE_SECONDS", 0.0)


JOHN = Member(mpid=1, identities={"email": ["john@x.test"], "ios_advertising_id": ["IDFA-1", "IDFA-2"]})
JANE = Member(mpid=2, identities={"customerid": ["c-2"]}, attributes={"status": "Premium"})


def test_each_add_and_drop_arrives_as_one_json_record(aws):
    _partner(aws, key=MOTO_KEY).send(AUDIENCE, [JOHN], [JANE], batch_id="b-1")
    add, drop = delivered(aws)
    audience = {"id": 7, "name": "Paris fans", "variation": "Variant A"}
    assert add == {
        "batch_id": "b-1",
        "audience": audience,
        "action": "add",
        "mpid": 1,
        "identities": {"email": ["john@x.test"], "ios_advertising_id": ["IDFA-1", "IDFA-2"]},
    }
    assert drop == {
        "batch_id": "b-1",
        "audience": audience,
        "action": "drop",
        "mpid": 2,
        "identities": {"customerid": ["c-2"]},
        "attributes": {"status": "Premium"},  # shared attributes travel with the identities
    }


def test_deleting_the_audience_sends_a_delete_record(aws):
    _partner(aws, key=MOTO_KEY).delete(AUDIENCE)
    assert delivered(aws) == [{"audience": {"id": 7, "name": "Paris fans", "variation": "Variant A"}, "deleted": True}]


def test_large_batches_are_split_into_calls_of_500_records(aws):
    members = [Member(mpid=n, identities={"email": [f"u{n}@x.test"]}) for n in range(1200)]
    _partner(aws, key=MOTO_KEY).send(AUDIENCE, members, [], batch_id="big")
    records = delivered(aws)
    assert sorted(r["mpid"] for r in records) == list(range(1200))
    assert len(records) == 1200


def test_calls_stay_under_four_mebibytes():
    records = [b"x" * (900 * 1024)] * 10  # ten records of 900 KiB
    assert [len(chunk) for chunk in _chunks(records)] == [4, 4, 2]
    assert [len(chunk) for chunk in _chunks([b"y"] * 1001)] == [500, 500, 1]


def test_a_record_above_firehoses_limit_faults():
    huge = Member(mpid=9, identities={"email": ["e@x.test"]}, attributes={"blob": "z" * (1000 * 1024)})
    with pytest.raises(PartnerError) as fault:
        _partner("http://127.0.0.1:9").send(AUDIENCE, [huge], [], batch_id="b")
    assert fault.value.permanent and "1,000 KiB" in fault.value.message


def test_an_unknown_delivery_stream_faults_with_the_aws_message(aws):
    with pytest.raises(PartnerError) as fault:
        _partner(aws, key=MOTO_KEY, stream="nowhere").send(AUDIENCE, [JOHN], [], batch_id="b")
    assert fault.value.permanent
    assert "ResourceNotFoundException" in fault.value.message and "nowhere" in fault.value.message


def test_signed_requests_reach_the_stub(stub):
    _partner(stub.url).send(AUDIENCE, [JOHN], [], batch_id="b")
    assert json.loads(stub.records[0])["mpid"] == 1
    assert stub.requests[0].headers["x-amz-target"] == "Firehose_20150804.PutRecordBatch"


@pytest.mark.parametrize(
    ("key", "secret", "code"),
    [
        ("AKIAUNKNOWNKEY000001", SECRET_KEY, "UnrecognizedClientException"),
        (ACCESS_KEY, "a-wrong-secret", "InvalidSignatureException"),
    ],
)
def test_bad_credentials_fault_at_once(stub, key, secret, code):
    with pytest.raises(PartnerError) as fault:
        _partner(stub.url, key=key, secret=secret).send(AUDIENCE, [JOHN], [], batch_id="b")
    assert fault.value.permanent and fault.value.status == 400
    assert code in fault.value.message
    assert stub.records == []


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (400, "AccessDeniedException", True),
        (403, "AccessDeniedException", True),
        (401, "IncompleteSignature", True),
        (404, "ResourceNotFoundException", True),
        (400, "InvalidArgumentException", True),
        (400, "InvalidKMSResourceException", True),
        (400, "ThrottlingException", False),  # throttling is an HTTP 400 in AWS's JSON protocol
        (500, "ServiceUnavailableException", False),
        (503, "ServiceUnavailable", False),
        (500, "InternalFailure", False),
        (400, "SomethingNewException", True),  # an unknown client error is a configuration problem
    ],
)
def test_aws_errors_map_to_retry_or_fault(stub, status, code, permanent):
    stub.fail_next_aws(status, code, f"scripted {code}")
    with pytest.raises(PartnerError) as fault:
        _partner(stub.url).send(AUDIENCE, [JOHN], [], batch_id="b")
    assert fault.value.permanent is permanent
    assert fault.value.status == status
    assert f"{code}: scripted {code}" in fault.value.message
    assert len(stub.requests) == 1  # botocore does not retry behind the pipeline's back


def test_a_429_is_retried_after_retry_after(stub):
    stub.fail_next_aws(429, "TooManyRequestsException", "Rate exceeded", retry_after=6)
    with pytest.raises(PartnerError) as fault:
        _partner(stub.url).send(AUDIENCE, [JOHN], [], batch_id="b")
    assert not fault.value.permanent and fault.value.retry_after == 6


def test_records_firehose_rejects_are_resent_alone(stub, quick_resends):
    rejected_once: set[bytes] = set()

    def reject_jane_once(data: bytes) -> tuple[str, str] | None:
        if b'"mpid":2' in data and data not in rejected_once:
            rejected_once.add(data)
            return ("ServiceUnavailableException", "Slow down.")
        return None

    stub.reject = reject_jane_once
    _partner(stub.url).send(AUDIENCE, [JOHN, JANE], [], batch_id="b")
    assert [json.loads(r)["mpid"] for r in stub.records] == [1, 2]  # John once, Jane after one resend
    assert [len(r.json()["Records"]) for r in stub.requests] == [2, 1]


def test_records_rejected_every_time_are_a_retryable_failure(stub, quick_resends):
    stub.reject = lambda data: ("InternalFailure", "Internal service failure.") if b'"mpid":2' in data else None
    with pytest.raises(PartnerError) as fault:
        _partner(stub.url).send(AUDIENCE, [JOHN, JANE], [], batch_id="b")
    assert not fault.value.permanent
    assert "rejected 1 of 2 records" in fault.value.message and "InternalFailure" in fault.value.message
    assert len(stub.requests) == firehose_module.RESEND_ATTEMPTS


def test_an_unreachable_endpoint_is_retried_not_faulted():
    with pytest.raises(PartnerError) as fault:
        _partner("http://127.0.0.1:9").send(AUDIENCE, [JOHN], [], batch_id="b")
    assert not fault.value.permanent


def test_settings_are_validated_and_the_secret_is_marked_secret():
    assert Firehose.Configuration.secret_fields() == {"aws_secret_access_key"}
    with pytest.raises(ValueError):
        Firehose.Configuration.model_validate(
            {"delivery_stream_name": "a b", "region": "Paris", "aws_access_key_id": "x", "aws_secret_access_key": "y"}
        )
    assert _partner("").base_url == "https://firehose.eu-west-1.amazonaws.com"
