"""The Events API: wire-compatible with the mParticle server-to-server Events API v2."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router
from ninja.security import HttpBasicAuth

from accounts.api import ApiError
from accounts.json_body import read_json, read_json_items
from audiences.ingestion.service import IngestRefused, ingest
from audiences.ingestion.wire import parse_batch
from audiences.inputs import secret_matches
from audiences.models import Input


class InputCredentials(HttpBasicAuth):
    """HTTP Basic with an input's API key and secret; also the place for size and rate limits,
    which must be checked before the body is read."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> Input | None:
        source = Input.objects.select_related("workspace__account").filter(api_key=username).first()
        if source is None or not secret_matches(source, password):
            return None
        if not source.enabled:
            raise ApiError(403, "Authorization", "this input is disabled")
        limit = settings.EVENTS_MAX_BATCH_BYTES if request.path.endswith("/events") else settings.EVENTS_MAX_BULK_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            raise ApiError(413, "$", f"the body is {length} bytes; the limit here is {limit} bytes")
        _count_request(source)
        return source


def _count_request(source: Input) -> None:
    """A per-key fixed window of one second; Redis keeps the count shared between processes."""
    window = int(time.time())
    # Keyed by the random API key, not the row id: installs (or test databases) sharing one
    # Redis must not count each other's requests.
    key = f"events-rate:{source.api_key}:{window}"
    cache.add(key, 0, timeout=5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=5)
        used = 1
    if used > source.rate_limit:
        raise ApiError(
            429,
            "$",
            f"over this key's limit of {source.rate_limit} requests per second",
            {"Retry-After": str(max(1, window + 1 - int(time.time())))},
        )


def _store(source: Input, parsed: list, *, historical: bool, bulk: bool) -> JsonResponse:
    try:
        result = ingest(source, parsed, historical=historical)
    except IngestRefused as exc:
        path = f"[{exc.index}].{exc.field}" if bulk else exc.field
        raise ApiError(400, path, exc.message) from None
    return JsonResponse(result.as_json(), status=202)


BATCH_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "description": "One batch (see docs/events-api.md)."}}
        },
    }
}
BULK_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "maxItems": 100, "items": {"type": "object"}},
            }
        },
    }
}
ANSWERS = {202: dict, 400: dict, 401: dict, 403: dict, 413: dict, 429: dict}

router = Router(tags=["Events API"], auth=InputCredentials())


@router.post("/events", response=ANSWERS, openapi_extra=BATCH_DOC, summary="Upload one batch")
def upload_batch(request: HttpRequest) -> HttpResponse:
    document = read_json(request, settings.EVENTS_MAX_BATCH_BYTES)
    parsed, errors = parse_batch(document)
    if errors:
        raise ApiError.many(400, errors)
    return _store(request.auth, [parsed], historical=False, bulk=False)


def _bulk(request: HttpRequest, *, historical: bool) -> HttpResponse:
    document, sizes = read_json_items(request, settings.EVENTS_MAX_BULK_BYTES)
    if not isinstance(document, list):
        raise ApiError(400, "$", "a bulk request is a JSON array of batches")
    if len(document) > settings.EVENTS_MAX_BULK_BATCHES:
        raise ApiError(
            400,
            "$",
            f"a bulk request holds at most {settings.EVENTS_MAX_BULK_BATCHES} batches, not {len(document)}",
        )
    parsed_batches, errors = [], []
    limit = settings.EVENTS_MAX_BATCH_BYTES
    for index, raw in enumerate(document):
        # A batch's size is that of its compact UTF-8 JSON, so a client's spaces and \u escapes
        # do not count against it; its size as sent is measured for free while decoding and
        # only a batch that is too big as sent is serialised again to measure it exactly.
        if sizes is None or sizes[index] > limit:
            size = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
        else:
            size = sizes[index]
        if size > limit:
            raise ApiError(
                413,
                f"[{index}]",
                f"this batch is {size} bytes; a batch may be at most {limit}",
            )
        parsed, found = parse_batch(raw, prefix=f"[{index}]")
        errors.extend(found)
        parsed_batches.append(parsed)
    if errors:
        raise ApiError.many(400, errors)
    return _store(request.auth, parsed_batches, historical=historical, bulk=True)


@router.post("/bulkevents", response=ANSWERS, openapi_extra=BULK_DOC, summary="Upload up to 100 batches")
def upload_bulk(request: HttpRequest) -> HttpResponse:
    return _bulk(request, historical=False)


@router.post(
    "/bulkevents/historical",
    response=ANSWERS,
    openapi_extra=BULK_DOC,
    summary="Back-fill up to 100 batches with timestamps older than the real-time window (kept as long-term "
    "history; events older than the account's long-term retention are dropped and counted)",
)
def upload_historical(request: HttpRequest) -> HttpResponse:
    return _bulk(request, historical=True)
