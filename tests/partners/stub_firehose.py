"""A local Firehose endpoint speaking the AWS JSON 1.1 protocol, for the answers moto's server
cannot give: wrong keys (SigV4 signatures are verified against the stub's secret), access
denied, throttling, service errors and partial failures of PutRecordBatch. Errors come as
AWS sends them: a status, `x-amzn-ErrorType`, and `{"__type", "message"}`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.partners.stub import Answer, PartnerStub, Received

ACCESS_KEY = "AKIASTUBSTUBSTUB0001"
SECRET_KEY = "stub-secret-access-key"
STREAM = "audiences"
TARGET = "Firehose_20150804.PutRecordBatch"
AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})"
)


def aws_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    return Answer(
        status,
        {"__type": code, "message": message},
        {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": f"{code}:", **(headers or {})},
    )


class FirehoseStub(PartnerStub):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[bytes] = []
        # Decides, per record, an (ErrorCode, ErrorMessage) to reject it with, or None to take it.
        self.reject: Callable[[bytes], tuple[str, str] | None] = lambda data: None

    def fail_next_aws(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        """The next request gets this AWS error answer instead of being handled."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self.lock:
            self.failures.append(aws_error(status, code, message, headers))

    def handle(self, request: Received) -> Answer:
        denied = self.check_signature(request)
        if denied:
            return denied
        if request.headers.get("x-amz-target") != TARGET:
            return aws_error(400, "UnknownOperationException", "Unknown operation")
        body: dict[str, Any] = request.json() or {}
        if body.get("DeliveryStreamName") != STREAM:
            return aws_error(
                400,
                "ResourceNotFoundException",
                f"Firehose {body.get('DeliveryStreamName')} under account 123456789012 not found.",
            )
        records = body.get("Records") or []
        if not 1 <= len(records) <= 500:
            return aws_error(400, "ValidationException", "1 validation error detected: Value at 'records' failed")
        responses = []
        for record in records:
            data = base64.b64decode(record["Data"])
            rejection = self.reject(data)
            if rejection:
                responses.append({"ErrorCode": rejection[0], "ErrorMessage": rejection[1]})
            else:
                self.records.append(data)
                responses.append({"RecordId": f"rec-{len(self.records)}"})
        failed = sum(1 for r in responses if "ErrorCode" in r)
        return Answer(
            200,
            {"FailedPutCount": failed, "Encrypted": False, "RequestResponses": responses},
            {"Content-Type": "application/x-amz-json-1.1"},
        )

    def check_signature(self, request: Received) -> Answer | None:
        match = AUTH.fullmatch(request.headers.get("authorization", ""))
        if not match:
            return aws_error(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
        if match["key"] != ACCESS_KEY:
            return aws_error(
                400, "UnrecognizedClientException", "The security token included in the request is invalid."
            )
        signed = AWSRequest(
            method=request.method,
            url=f"{self.url}{request.path}",
            data=request.body,
            headers={name: request.headers.get(name, "") for name in match["signed"].split(";")},
        )
        signed.context["timestamp"] = request.headers.get("x-amz-date", "")
        signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), match["service"], match["region"])
        expected = signer.signature(signer.string_to_sign(signed, signer.canonical_request(signed)), signed)
        if expected != match["signature"]:
            return aws_error(
                400,
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided.",
            )
        return None
