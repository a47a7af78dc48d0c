"""The Events API: wire-compatible with the mParticle server-to-server Events API v2."""

from __future__ import annotations

import json
import math
import re
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router
from ninja.security import HttpBasicAuth

from accounts.api import ApiError
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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    # Python reads 1e400 as infinity, which JSON (and PostgreSQL's jsonb) cannot hold.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


# PostgreSQL text and jsonb cannot hold U+0000 nor a lone UTF-16 surrogate (JSON's "\ud800"
# escapes decode to one); such text is refused with its path rather than failing on storage.
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 32  # real batches nest five or six levels; deeper documents are refused, not recursed


def _path(parts: tuple) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "$"


def _find_bad_text(document: Any) -> tuple[str, str] | None:
    """The first place (path, fault) holding text PostgreSQL cannot store, or nesting too deep."""
    pending: list[tuple[Any, tuple]] = [(document, ())]
    while pending:
        value, at = pending.pop()
        if isinstance(value, str):
            if BAD_TEXT.search(value):
                return _path(at), "text may not contain NUL (U+0000) or unpaired surrogates"
        elif isinstance(value, dict | list):
            if len(at) >= MAX_DEPTH:
                return _path(at), f"JSON may nest at most {MAX_DEPTH} levels deep"
            if isinstance(value, dict):
                for key in value:
                    if BAD_TEXT.search(key):
                        return _path((*at, key)), "text may not contain NUL (U+0000) or unpaired surrogates"
                children = list(value.items())
            else:
                children = list(enumerate(value))
            # Reversed onto the stack, so faults are found in document order.
            pending.extend((item, (*at, key)) for key, item in reversed(children))
    return None


# Decoded JSON can hold U+0000 or a lone surrogate only where the body has a NUL byte (this
# also catches UTF-16 and UTF-32 bodies), a \u0000 or \uD800-\uDFFF escape, or a UTF-8-encoded
# surrogate (json.loads decodes bytes with "surrogatepass"). A match may be a false alarm (an
# escaped backslash before "u0000"); the exact walk then decides.
MAYBE_BAD_TEXT = re.compile(rb"\x00|\xed[\xa0-\xbf]|\\u(?:0000|[dD][89a-fA-F])")


def _nests_too_deep(document: Any) -> bool:
    """Whether a container sits MAX_DEPTH or more levels down; looks at containers only,
    a level at a time (json.loads makes plain dicts and lists, so exact type checks do)."""
    level = [document] if type(document) in (dict, list) else []
    for _depth in range(MAX_DEPTH):
        below = []
        for value in level:
            children = value.values() if type(value) is dict else value
            below += [child for child in children if type(child) in (dict, list)]
        if not below:
            return False
        level = below
    return True


def read_json(request: HttpRequest, limit: int) -> Any:
    body = request.body
    if len(body) > limit:
        raise ApiError(413, "$", f"the body is {len(body)} bytes; the limit here is {limit} bytes")
    try:
        document = json.loads(body, parse_constant=_reject_constant, parse_float=_finite)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "$", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "$", f"JSON may nest at most {MAX_DEPTH} levels deep") from None
    # Walking every string of a 1,000-event request costs more than storing it; the walk is
    # only needed when the raw body could hold such text or the document nests deeply.
    if MAYBE_BAD_TEXT.search(body) or _nests_too_deep(document):
        fault = _find_bad_text(document)
        if fault:
            raise ApiError(400, *fault)
    return document


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
    document = read_json(request, settings.EVENTS_MAX_BULK_BYTES)
    if not isinstance(document, list):
        raise ApiError(400, "$", "a bulk request is a JSON array of batches")
    if len(document) > settings.EVENTS_MAX_BULK_BATCHES:
        raise ApiError(
            400,
            "$",
            f"a bulk request holds at most {settings.EVENTS_MAX_BULK_BATCHES} batches, not {len(document)}",
        )
    parsed_batches, errors = [], []
    for index, raw in enumerate(document):
        size = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
        if size > settings.EVENTS_MAX_BATCH_BYTES:
            raise ApiError(
                413,
                f"[{index}]",
                f"this batch is {size} bytes; a batch may be at most {settings.EVENTS_MAX_BATCH_BYTES}",
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
    summary="Back-fill up to 100 batches with timestamps older than the retention window",
)
def upload_historical(request: HttpRequest) -> HttpResponse:
    return _bulk(request, historical=True)
