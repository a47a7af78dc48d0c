"""The Events API wire format (batches of events), as pydantic models.

Unknown fields inside a known shape are kept, never rejected (extra="allow"); unknown event
types are rejected with the path of the `event_type`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from accounts.identities import ALL_IDENTITY_TYPES, DEVICE_IDENTITY_TYPES, USER_IDENTITY_TYPES  # noqa: F401

MPID = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Timestamp = Annotated[int, Field(ge=0, le=32503680000000)]  # ms, up to the year 3000
Scalar = str | int | float | bool | None
AttributeValue = Scalar | list[Scalar]

IDENTITY_TYPES = ALL_IDENTITY_TYPES


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Location(Open):
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    accuracy: float | None = None


class EventData(Open):
    timestamp_unixtime_ms: Timestamp | None = None
    event_id: int | str | None = None
    source_message_id: str | None = None
    session_id: int | str | None = None
    session_uuid: str | None = None
    custom_attributes: dict[str, AttributeValue] | None = None
    location: Location | None = None


class CustomEventData(EventData):
    event_name: str = Field(min_length=1, max_length=500)
    custom_event_type: (
        Literal[
            "navigation",
            "location",
            "search",
            "transaction",
            "user_content",
            "user_preference",
            "social",
            "other",
            "media",
            "attribution",
            "unknown",
        ]
        | None
    ) = "other"


class ScreenViewData(EventData):
    screen_name: str = Field(min_length=1, max_length=500)
    activity_type: str | None = None


class SessionEndData(EventData):
    session_duration_ms: int | None = Field(default=None, ge=0)


class Product(Open):
    id: str | int | None = None
    name: str | None = None
    brand: str | None = None
    category: str | None = None
    variant: str | None = None
    price: float | None = None
    quantity: float | None = None
    total_product_amount: float | None = None
    custom_attributes: dict[str, AttributeValue] | None = None


class ProductAction(Open):
    action: Literal[
        "unknown",
        "add_to_cart",
        "remove_from_cart",
        "checkout",
        "checkout_option",
        "click",
        "view_detail",
        "purchase",
        "refund",
        "add_to_wishlist",
        "remove_from_wish_list",
    ]
    transaction_id: str | None = None
    total_amount: float | None = None
    tax_amount: float | None = None
    shipping_amount: float | None = None
    coupon_code: str | None = None
    products: list[Product] | None = None


class CommerceData(EventData):
    product_action: ProductAction | None = None
    promotion_action: dict[str, Any] | None = None
    product_impressions: list[dict[str, Any]] | None = None
    currency_code: str | None = None
    screen_name: str | None = None


class CrashData(EventData):
    class_name: str | None = None
    severity: str | None = None
    message: str | None = None
    stack_trace: str | None = None
    exception_handled: bool | None = None


class StateTransitionData(EventData):
    application_transition_type: Literal[
        "unknown",
        "application_initialized",
        "application_exit",
        "application_background",
        "application_foreground",
    ]
    is_first_run: bool | None = None
    is_upgrade: bool | None = None


DATA_BY_TYPE: dict[str, type[EventData]] = {
    "custom_event": CustomEventData,
    "screen_view": ScreenViewData,
    "session_start": EventData,
    "session_end": SessionEndData,
    "commerce_event": CommerceData,
    "crash_report": CrashData,
    "application_state_transition": StateTransitionData,
    "uninstall": EventData,
    "opt_out": EventData,
    "first_run": EventData,
    "push_registration": EventData,
    "push_message": EventData,
    "network_performance": EventData,
    "breadcrumb": EventData,
    "profile": EventData,
    "user_attribute_change": EventData,
    "pre_attribution": EventData,
    "push_reaction": EventData,
    "media": EventData,
    # The reference client's enum has "unknown"; keep such events as raw events.
    "unknown": EventData,
}
EVENT_TYPES = tuple(DATA_BY_TYPE)


class ConsentPurpose(Open):
    consented: StrictBool
    document: str | None = None
    timestamp_unixtime_ms: Timestamp | None = None
    location: str | None = None
    hardware_id: str | None = None


class ConsentState(BaseModel):
    # Consent is merged per regulation and purpose; only the two regulations of the wire
    # format have that shape, so other keys are ignored rather than merged as garbage.
    model_config = ConfigDict(extra="ignore")

    gdpr: dict[str, ConsentPurpose] | None = None
    ccpa: dict[str, ConsentPurpose] | None = None


class DeviceInfo(Open):
    platform: str | None = None
    os_version: str | None = None
    device_model: str | None = None
    device_manufacturer: str | None = None
    brand: str | None = None
    network_carrier: str | None = None
    locale_country: str | None = None
    locale_language: str | None = None
    is_tablet: bool | None = None
    att_authorization_status: str | None = None
    ios_advertising_id: str | None = None
    android_advertising_id: str | None = None
    ios_idfv: str | None = None
    android_uuid: str | None = None
    push_token: str | None = None
    roku_advertising_id: str | None = None
    fire_advertising_id: str | None = None
    microsoft_advertising_id: str | None = None

    @field_validator(*DEVICE_IDENTITY_TYPES)
    @classmethod
    def id_not_too_long(cls, value: str | None) -> str | None:
        # Device ids are stored as identities, whose values hold at most 500 characters.
        if value is not None and len(value) > 500:
            raise ValueError("a device id is at most 500 characters")
        return value


class UserIdentities(BaseModel):
    # Only the identity types of the wire format become identities; other keys are accepted
    # and ignored rather than stored under a made-up identity type.
    model_config = ConfigDict(extra="ignore")

    customerid: str | None = None
    email: str | None = None
    other: str | None = None
    other_id_2: str | None = None
    other_id_3: str | None = None
    other_id_4: str | None = None
    other_id_5: str | None = None
    other_id_6: str | None = None
    other_id_7: str | None = None
    other_id_8: str | None = None
    other_id_9: str | None = None
    other_id_10: str | None = None
    mobile_number: str | None = None
    phone_number_2: str | None = None
    phone_number_3: str | None = None
    facebook: str | None = None
    twitter: str | None = None
    google: str | None = None
    microsoft: str | None = None
    yahoo: str | None = None
    alias: str | None = None
    facebook_custom_audience_id: str | None = None

    @field_validator("*")
    @classmethod
    def not_too_long(cls, value: str | None) -> str | None:
        if value is not None and len(value) > 500:
            raise ValueError("an identity is at most 500 characters")
        return value


class Batch(Open):
    events: list[dict[str, Any]] | None = None
    source_request_id: str | None = Field(default=None, max_length=200)
    environment: Literal["production", "development", "unknown"] | None = "production"
    mpid: MPID | None = None
    user_identities: UserIdentities | None = None
    device_info: DeviceInfo | None = None
    application_info: dict[str, Any] | None = None
    user_attributes: dict[str, AttributeValue] | None = None
    deleted_user_attributes: list[str] | None = None
    consent_state: ConsentState | None = None
    ip: str | None = None
    timestamp_unixtime_ms: Timestamp | None = None


class ParsedEvent(BaseModel):
    event_type: str
    data: EventData


class ParsedBatch(BaseModel):
    batch: Batch
    events: list[ParsedEvent]


def location(loc: tuple) -> str:
    """A pydantic error location as a JSON path: ("events", 3, "data") -> events[3].data."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _json_loc(loc: tuple, raw: Any, missing: bool) -> tuple:
    """Drop the union member names pydantic puts in a location ("user_attributes.bad.str"):
    keep only the parts that lead through the document received, and a missing key at the end."""
    kept: list = []
    here = raw
    for number, part in enumerate(loc):
        if (isinstance(here, dict) and part in here) or (
            isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here)
        ):
            here = here[part]
        elif missing and number == len(loc) - 1:
            pass
        else:
            here = None  # a union member's name: it names no place in the document
            continue
        kept.append(part)
    return tuple(kept)


def errors_of(exc: ValidationError, prefix: str, raw: Any) -> list[dict[str, str]]:
    """Faults as {path, message}; a value refused by every member of a union is one fault."""
    by_path: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        path = location(_json_loc(error["loc"], raw, error["type"] == "missing"))
        path = f"{prefix}.{path}" if prefix and path else prefix or path
        messages = by_path.setdefault(path, [])
        if error["msg"] not in messages:
            messages.append(error["msg"])
    return [{"path": path, "message": "; ".join(messages)} for path, messages in by_path.items()]


def parse_batch(raw: Any, prefix: str = "") -> tuple[ParsedBatch | None, list[dict[str, str]]]:
    """Validate one batch; answer it parsed, or the faults with their JSON paths."""
    if not isinstance(raw, dict):
        return None, [{"path": prefix or "$", "message": "a batch must be a JSON object"}]
    errors: list[dict[str, str]] = []
    batch = None
    try:
        batch = Batch.model_validate(raw)
    except ValidationError as exc:
        errors.extend(errors_of(exc, prefix, raw))
    events: list[ParsedEvent] = []
    raw_events = raw.get("events")
    if isinstance(raw_events, list):
        for index, raw_event in enumerate(raw_events):
            at = f"{prefix}.events[{index}]" if prefix else f"events[{index}]"
            if not isinstance(raw_event, dict):
                errors.append({"path": at, "message": "an event must be a JSON object"})
                continue
            event_type = raw_event.get("event_type")
            shape = DATA_BY_TYPE.get(event_type) if isinstance(event_type, str) else None
            if shape is None:
                errors.append({"path": f"{at}.event_type", "message": f"unknown event type {event_type!r}"})
                continue
            data = raw_event.get("data", {})
            try:
                events.append(ParsedEvent(event_type=event_type, data=shape.model_validate(data)))
            except ValidationError as exc:
                errors.extend(errors_of(exc, f"{at}.data", data))
    if errors:
        return None, errors
    return ParsedBatch(batch=batch, events=events), []
