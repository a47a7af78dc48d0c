"""Reading JSON request bodies safely, for both JSON APIs.

Python's json accepts documents PostgreSQL cannot store (NaN, 1e400, U+0000, lone
surrogates) and nests without limit; each such fault is answered as a 400 naming its path
instead of failing on storage.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.http import HttpRequest

from accounts.api import ApiError


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


WHITESPACE = re.compile(r"[ \t\n\r]*")
DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite)


def _decode(body: bytes) -> tuple[Any, list[int] | None]:
    """The document, and for an array each element's size in bytes as sent (UTF-8).

    An array is decoded an element at a time, which hands out each element's span for free
    (measuring a bulk request's batches by serialising them again cost more than decoding).
    Anything unexpected goes to json.loads, whose answer (or error message) is the reference."""
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass")
        at = WHITESPACE.match(text).end()
        if not text.startswith("[", at):
            return DECODER.decode(text), None
        items, sizes = [], []
        ascii_only = body.isascii()
        at = WHITESPACE.match(text, at + 1).end()
        closed = text.startswith("]", at)
        at += closed
        while not closed:
            item, end = DECODER.raw_decode(text, at)
            items.append(item)
            sizes.append(end - at if ascii_only else len(text[at:end].encode("utf-8", "surrogatepass")))
            at = WHITESPACE.match(text, end).end()
            closed = text.startswith("]", at)
            if not closed and not text.startswith(",", at):
                raise ValueError("expected , or ]")
            at = WHITESPACE.match(text, at + 1).end()
        if WHITESPACE.match(text, at).end() != len(text):
            raise ValueError("extra data")
        return items, sizes
    except (ValueError, UnicodeDecodeError):
        return json.loads(body, parse_constant=_reject_constant, parse_float=_finite), None


def read_json_items(request: HttpRequest, limit: int) -> tuple[Any, list[int] | None]:
    """The request's JSON document, checked as `read_json` does, and for an array each
    element's size in bytes as sent (None when the document is not an array)."""
    body = request.body
    if len(body) > limit:
        raise ApiError(413, "$", f"the body is {len(body)} bytes; the limit here is {limit} bytes")
    try:
        document, sizes = _decode(body)
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
    return document, sizes


def read_json(request: HttpRequest, limit: int) -> Any:
    return read_json_items(request, limit)[0]
