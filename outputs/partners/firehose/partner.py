"""Amazon Kinesis Firehose: every membership change as one newline-terminated JSON record,
written with PutRecordBatch to a delivery stream of yours (and from there to S3, Redshift,
an HTTP endpoint...). Deleting the audience writes a final `"deleted": true` record that the
receiving side must handle.

Records look like
    {"batch_id": "...", "audience": {"id", "name", "variation"}, "action": "add" | "drop",
     "mpid": 1, "identities": {"email": ["..."]}, "attributes": {...}}
with `attributes` present only when the connection shares user attributes. Firehose delivers
at least once, so consumers deduplicate on (batch_id, mpid, action).

PutRecordBatch takes at most 500 records and 4 MiB a call, 1,000 KiB a record, and may accept
a call while rejecting some of its records (`FailedPutCount`, per-record `ErrorCode`).
https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html

This partner does not speak HTTP through `Partner.request()`: boto3 signs and sends, and the
botocore errors are mapped to PartnerError here.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ParamValidationError
from pydantic import Field

from accounts.identities import ALL_IDENTITY_TYPES
from outputs.partners.base import AudienceRef, Member, Partner, PartnerError, Settings

log = logging.getLogger(__name__)

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 4 * 1024 * 1024
MAX_RECORD_BYTES = 1000 * 1024
# Records Firehose reports as failed are resent at once, a few times, before the whole batch
# goes back to the pipeline's backoff (which would resend the records that did get through).
RESEND_ATTEMPTS = 3
RESEND_PAUSE_SECONDS = 0.2

# https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html#API_PutRecordBatch_Errors
# and the errors common to all AWS APIs (CommonErrors): throttling and service trouble pass.
RETRYABLE_ERRORS = frozenset(
    {
        "ServiceUnavailableException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "LimitExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
# Wrong keys, missing permissions, an unknown or misconfigured stream: retrying cannot help.
PERMANENT_ERRORS = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "MissingAuthenticationToken",
        "IncompleteSignature",
        "InvalidArgumentException",
        "InvalidKMSResourceException",
        "InvalidSourceException",
        "ValidationException",
    }
)


class FirehoseConfiguration(Settings):
    delivery_stream_name: str = Field(
        pattern=r"^[a-zA-Z0-9_.-]{1,64}$", description="Name of the Firehose delivery stream to write to."
    )
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$", description="AWS region of the stream, e.g. us-east-1.")
    aws_access_key_id: str = Field(
        min_length=16, description="Access key of an IAM user allowed firehose:PutRecordBatch."
    )
    aws_secret_access_key: str = Field(
        min_length=1, description="Secret access key of that IAM user.", json_schema_extra={"secret": True}
    )
    base_url: str | None = Field(
        default=None, description="Endpoint URL override (e.g. a VPC endpoint); leave empty for AWS's own."
    )


class Firehose(Partner):
    kind = "firehose"
    name = "Amazon Kinesis Firehose"
    category = "Data warehouse"
    description = "Every add and drop as a JSON record on a Firehose delivery stream of yours."
    logo = "img/partners/firehose.svg"
    accepted_identity_types = ALL_IDENTITY_TYPES
    batch_size = MAX_RECORDS_PER_CALL
    takes_user_attributes = True
    delete_behaviour = 'Sends a final record with "deleted": true; your consumer must handle it.'
    Configuration = FirehoseConfiguration

    @property
    def base_url(self) -> str:
        return (self.configuration.base_url or f"https://firehose.{self.configuration.region}.amazonaws.com").rstrip(
            "/"
        )

    @property
    def firehose(self) -> Any:
        if getattr(self, "_firehose", None) is None:
            self._firehose = boto3.session.Session().client(
                "firehose",
                endpoint_url=self.configuration.base_url or None,
                region_name=self.configuration.region,
                aws_access_key_id=self.configuration.aws_access_key_id,
                aws_secret_access_key=self.configuration.aws_secret_access_key,
                # One attempt: backoff and the retry budget belong to the forwarding pipeline.
                config=Config(
                    connect_timeout=5, read_timeout=10, retries={"total_max_attempts": 1, "mode": "standard"}
                ),
            )
        return self._firehose

    # Records ---------------------------------------------------------------------------------

    @staticmethod
    def _audience(audience: AudienceRef) -> dict[str, Any]:
        return {"id": audience.audience_id, "name": audience.name, "variation": audience.variation}

    def _record(self, audience: AudienceRef, action: str, member: Member, batch_id: str) -> bytes:
        document: dict[str, Any] = {
            "batch_id": batch_id,
            "audience": self._audience(audience),
            "action": action,
            "mpid": member.mpid,
            "identities": member.identities,
        }
        if member.attributes is not None:
            document["attributes"] = member.attributes
        return self._encode(document)

    def _encode(self, document: dict[str, Any]) -> bytes:
        data = json.dumps(document, separators=(",", ":"), sort_keys=True, default=str).encode() + b"\n"
        if len(data) > MAX_RECORD_BYTES:
            raise PartnerError(
                f"{self.name} takes records of at most 1,000 KiB; user {document.get('mpid')} needs {len(data)} bytes",
                permanent=True,
            )
        return data

    def send(self, audience: AudienceRef, adds: list[Member], drops: list[Member], *, batch_id: str) -> None:
        records = [self._record(audience, "add", m, batch_id) for m in adds]
        records += [self._record(audience, "drop", m, batch_id) for m in drops]
        for chunk in _chunks(records):
            self._put(chunk)

    def delete(self, audience: AudienceRef) -> None:
        self._put([self._encode({"audience": self._audience(audience), "deleted": True})])

    # The AWS call ------------------------------------------------------------------------------

    def _put(self, records: list[bytes]) -> None:
        pending = records
        first: dict[str, Any] = {}
        for attempt in range(RESEND_ATTEMPTS):
            answer = self._call(pending)
            if not answer.get("FailedPutCount"):
                return
            outcomes = answer.get("RequestResponses") or []
            failed = [data for data, outcome in zip(pending, outcomes, strict=False) if outcome.get("ErrorCode")]
            first = next((outcome for outcome in outcomes if outcome.get("ErrorCode")), {})
            # Without per-record outcomes we cannot tell which records failed: resend them all.
            pending = failed or pending
            log.info("%s rejected %s of %s records (%s)", self.name, len(pending), len(records), first.get("ErrorCode"))
            if attempt + 1 < RESEND_ATTEMPTS:
                time.sleep(RESEND_PAUSE_SECONDS * 2**attempt)
        reason = f"{first.get('ErrorCode') or 'no error code'}: {first.get('ErrorMessage') or 'no message'}"
        raise PartnerError(f"{self.name} rejected {len(pending)} of {len(records)} records ({reason})", permanent=False)

    def _call(self, records: list[bytes]) -> dict[str, Any]:
        try:
            return self.firehose.put_record_batch(
                DeliveryStreamName=self.configuration.delivery_stream_name,
                Records=[{"Data": data} for data in records],
            )
        except ClientError as exc:
            raise self._client_error(exc) from exc
        except (NoCredentialsError, ParamValidationError) as exc:
            raise PartnerError(f"{self.name} configuration error: {exc}", permanent=True) from exc
        except BotoCoreError as exc:
            # Connection refused, timeouts, closed connections: the network, not the settings.
            raise PartnerError(f"could not reach {self.name}: {exc}", permanent=False) from exc

    def _client_error(self, exc: ClientError) -> PartnerError:
        error = exc.response.get("Error", {})
        code = error.get("Code") or ""
        metadata = exc.response.get("ResponseMetadata", {})
        status = metadata.get("HTTPStatusCode")
        message = f"{self.name} answered {status} {code}: {error.get('Message') or 'no message'}"
        if code in PERMANENT_ERRORS:
            return PartnerError(message, permanent=True, status=status)
        if code in RETRYABLE_ERRORS or status is None or status >= 500 or status in (408, 429):
            return PartnerError(
                message, permanent=False, retry_after=_retry_after(metadata.get("HTTPHeaders", {})), status=status
            )
        return PartnerError(message, permanent=True, status=status)


def _chunks(records: list[bytes]) -> list[list[bytes]]:
    """Split into PutRecordBatch-sized calls: at most 500 records and 4 MiB each."""
    chunks: list[list[bytes]] = []
    current: list[bytes] = []
    size = 0
    for data in records:
        if current and (len(current) == MAX_RECORDS_PER_CALL or size + len(data) > MAX_BYTES_PER_CALL):
            chunks.append(current)
            current, size = [], 0
        current.append(data)
        size += len(data)
    if current:
        chunks.append(current)
    return chunks


def _retry_after(headers: dict[str, str]) -> float | None:
    try:
        return max(0.0, float(headers["retry-after"]))
    except (KeyError, TypeError, ValueError):
        return None
