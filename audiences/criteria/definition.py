"""The audience definition (DEFINITION.md, version 1) as pydantic models, and its validation.

Structure and types are checked by the models (unknown fields and operators are refused);
`validate_definition` adds what needs the account: audience ids, inputs and workspaces that
must exist, and the nesting rule (only audiences that nest no audience can be nested, which
also makes a cycle impossible). Every fault is answered as `{"path", "message"}` with the JSON
path of the fault, for example `criteria[1].attributes[0].op`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from audiences.criteria.values import as_boolean, as_number
from audiences.ingestion.wire import IDENTITY_TYPES

Join = Literal["and", "or", "exclude"]
DataTypeName = Literal["string", "number", "date", "boolean", "list"]
EventType = Literal[
    "custom_event",
    "commerce_event",
    "screen_view",
    "session_start",
    "crash_report",
    "install",
    "upgrade",
    "uninstall",
    "attribution",
]
IdentityType = Literal[IDENTITY_TYPES]  # type: ignore[valid-type]

STRING_OPS = ("equals", "not_equals", "contains", "not_contains", "pattern")
PRESENCE_OPS = ("exists", "not_exists")
NUMBER_OPS = ("gt", "gte", "lt", "lte", "between")
BOOLEAN_OPS = ("is_true", "is_false")
LIST_OPS = ("includes", "not_includes", "partial_match")
ALL_OPS = (*STRING_OPS, *PRESENCE_OPS, *NUMBER_OPS, *BOOLEAN_OPS, *LIST_OPS, "time")
# A negative operator matches exactly the profiles (or events) its positive one does not.
NEGATIVE = {"not_equals": "equals", "not_contains": "contains", "not_includes": "includes", "not_exists": "exists"}
NO_VALUE_OPS = (*PRESENCE_OPS, *BOOLEAN_OPS)

Op = Literal[ALL_OPS]  # type: ignore[valid-type]
DeviceOp = Literal[(*STRING_OPS, *PRESENCE_OPS, *NUMBER_OPS)]  # type: ignore[valid-type]
IdentityOp = Literal[(*STRING_OPS, *PRESENCE_OPS)]  # type: ignore[valid-type]
ListOp = Literal[LIST_OPS]  # type: ignore[valid-type]
FrequencyOp = Literal["gt", "gte", "lt", "lte", "equals", "between"]

DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(value: Any) -> Any:
    """A calendar day written YYYY-MM-DD (a date object is taken as is)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not DAY.fullmatch(value):
        raise ValueError("a day is written YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a calendar day") from None


Day = Annotated[dt.date, BeforeValidator(_day)]
DaysAgo = Annotated[StrictInt, Field(ge=0, le=36500)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TimeWindow(Strict):
    """Exactly one form: recency relative to now (a day is 24 hours) or UTC calendar days."""

    within_days: Annotated[StrictInt, Field(ge=1, le=36500)] | None = None
    between_days_ago: tuple[DaysAgo, DaysAgo] | None = None
    before: Day | None = None
    after: Day | None = None
    on: Day | None = None
    between_dates: tuple[Day, Day] | None = None

    @model_validator(mode="after")
    def one_form(self) -> TimeWindow:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of within_days, between_days_ago, before, after, on, between_dates")
        if self.between_days_ago and self.between_days_ago[0] < self.between_days_ago[1]:
            raise ValueError("between_days_ago is [A, B] with A >= B (A days ago is the earlier end)")
        if self.between_dates and self.between_dates[0] > self.between_dates[1]:
            raise ValueError("between_dates is [first day, last day]; the first day comes first")
        return self

    @property
    def form(self) -> str:
        return next(name for name in type(self).model_fields if getattr(self, name) is not None)


DEFAULT_EVENT_WINDOW = TimeWindow(within_days=30)


class Frequency(Strict):
    op: FrequencyOp
    value: Annotated[StrictInt, Field(ge=0)]
    value2: Annotated[StrictInt, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def range_is_ordered(self) -> Frequency:
        if self.op == "between" and (self.value2 is None or self.value2 < self.value):
            raise ValueError("between needs value2 >= value")
        return self


DEFAULT_FREQUENCY = Frequency(op="gt", value=0)


def _is_scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int | bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class Checked(Strict):
    """Checks `value`/`value2` against `op` (and an explicit `data_type`) for every condition."""

    @field_validator("value", check_fields=False)
    @classmethod
    def value_fits_op(cls, value: Any, info: ValidationInfo) -> Any:
        op = info.data.get("op")
        if op is None:
            return value  # the op itself is wrong; that error is reported
        if op in NO_VALUE_OPS:
            return None
        if op == "time":
            if not isinstance(value, dict):
                raise ValueError('time needs a time object such as {"within_days": 7}')
            try:
                return TimeWindow.model_validate(value)
            except ValidationError as exc:
                raise ValueError("; ".join(_describe(error) for error in exc.errors())) from None
        if value is None:
            raise ValueError(f"{op} needs a value")
        if op in NUMBER_OPS:
            if not _is_number(value):
                raise ValueError(f"{op} compares numbers; the value must be a number")
            return value
        if not _is_scalar(value):
            raise ValueError(f"{op} needs a single string, number or boolean value")
        data_type = info.data.get("data_type")
        if op in ("equals", "not_equals") and data_type == "number" and as_number(value) is None:
            raise ValueError("the attribute is a number; the value must be a number")
        if op in ("equals", "not_equals") and data_type == "boolean" and as_boolean(value) is None:
            raise ValueError("the attribute is a boolean; the value must be true or false")
        return value

    @field_validator("value2", check_fields=False)
    @classmethod
    def value2_fits_op(cls, value2: Any, info: ValidationInfo) -> Any:
        if info.data.get("op") != "between":
            return None
        if not _is_number(value2):
            raise ValueError("between needs value2, a number")
        value = info.data.get("value")
        if _is_number(value) and value2 < value:
            raise ValueError("between needs value2 >= value")
        return value2


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error['msg']}" if where else error["msg"]


Key = Annotated[str, Field(min_length=1, max_length=500)]


class Condition(Checked):
    """One attribute condition: of an event's attributes, or of a profile's user attributes."""

    key: Key
    op: Op
    data_type: DataTypeName | None = None
    value: Any = Field(default=None, validate_default=True)
    value2: Any = Field(default=None, validate_default=True)


class Criterion(Strict):
    join: Join | None = None

    @property
    def is_event_based(self) -> bool:
        return False


class EventCriterion(Criterion):
    type: Literal["event"]
    event_type: EventType
    name: Annotated[str, Field(max_length=500)] | None = None
    attributes: list[Condition] = Field(default_factory=list, max_length=20)
    frequency: Frequency | None = None
    time: TimeWindow | None = None
    input_ids: list[StrictInt] | None = None
    workspace_id: StrictInt | None = None

    @property
    def is_event_based(self) -> bool:
        return True


class CartAbandonmentCriterion(Criterion):
    type: Literal["cart_abandonment"]
    wait_hours: Annotated[StrictInt, Field(ge=1, le=24 * 365)]
    time: TimeWindow | None = None
    input_ids: list[StrictInt] | None = None
    workspace_id: StrictInt | None = None

    @property
    def is_event_based(self) -> bool:
        return True


class UserAttributeCriterion(Checked, Criterion):
    type: Literal["user_attribute"]
    key: Key
    op: Op
    data_type: DataTypeName | None = None
    value: Any = Field(default=None, validate_default=True)
    value2: Any = Field(default=None, validate_default=True)
    workspace_id: StrictInt | None = None


class UserAttributeListCriterion(Checked, Criterion):
    type: Literal["user_attribute_list"]
    key: Key
    op: ListOp
    value: Any = Field(default=None, validate_default=True)
    workspace_id: StrictInt | None = None


class AudienceCriterion(Criterion):
    type: Literal["audience"]
    audience_id: StrictInt
    member: StrictBool = True


class CalculatedAttributeCriterion(Checked, Criterion):
    type: Literal["calculated_attribute"]
    name: Key
    op: Op
    data_type: DataTypeName | None = None
    value: Any = Field(default=None, validate_default=True)
    value2: Any = Field(default=None, validate_default=True)
    workspace_id: StrictInt | None = None


class ConsentCriterion(Criterion):
    type: Literal["consent"]
    regulation: Literal["gdpr", "ccpa"]
    purpose: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    consented: StrictBool
    workspace_id: StrictInt | None = None

    @model_validator(mode="after")
    def purpose_fits_regulation(self) -> ConsentCriterion:
        if self.regulation == "gdpr" and self.purpose is None:
            raise ValueError("a GDPR consent criterion names its purpose")
        if self.regulation == "ccpa" and self.purpose not in (None, "data_sale_opt_out"):
            raise ValueError("CCPA has one purpose, data_sale_opt_out")
        return self

    @property
    def consent_purpose(self) -> str:
        return self.purpose if self.regulation == "gdpr" else "data_sale_opt_out"


# Device fields as criteria name them -> keys of the stored device record. The wire format
# carries the operating system's name in `platform` ("iOS", "Android"), so `os` reads it too.
DEVICE_KEYS = {
    "platform": "platform",
    "os": "platform",
    "os_version": "os_version",
    "device_model": "device_model",
    "carrier": "network_carrier",
}


class DeviceCriterion(Checked, Criterion):
    type: Literal["device"]
    field: Literal["platform", "device_model", "os", "os_version", "carrier"]
    op: DeviceOp
    data_type: DataTypeName | None = None
    value: Any = Field(default=None, validate_default=True)
    value2: Any = Field(default=None, validate_default=True)
    workspace_id: StrictInt | None = None

    @property
    def key(self) -> str:
        return DEVICE_KEYS[self.field]


class FirstSeenCriterion(Criterion):
    type: Literal["first_seen"]
    time: TimeWindow
    workspace_id: StrictInt | None = None


# Location fields -> the user attributes that hold them (reserved `$` names, as on the wire).
LOCATION_KEYS = {"city": "$city", "state": "$state", "zip": "$zip", "dma": "$dma"}


class LocationCriterion(Criterion):
    type: Literal["location"]
    mode: Literal["equals", "within"]
    field: Literal["city", "state", "zip", "dma"] | None = None
    value: Annotated[str, Field(min_length=1, max_length=200)] | StrictInt | None = None
    latitude: Annotated[float, Field(ge=-90, le=90, strict=True)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180, strict=True)] | None = None
    radius_km: Annotated[float, Field(gt=0, le=20100, strict=True)] | None = None
    workspace_id: StrictInt | None = None

    @model_validator(mode="after")
    def fields_fit_mode(self) -> LocationCriterion:
        if self.mode == "equals" and (self.field is None or self.value is None):
            raise ValueError("location equals needs field and value")
        if self.mode == "within" and None in (self.latitude, self.longitude, self.radius_km):
            raise ValueError("location within needs latitude, longitude and radius_km")
        return self

    @property
    def key(self) -> str:
        return LOCATION_KEYS[self.field or "city"]


class IdentityCriterion(Checked, Criterion):
    type: Literal["identity"]
    identity_type: IdentityType
    op: IdentityOp
    value: Any = Field(default=None, validate_default=True)
    workspace_id: StrictInt | None = None


class AttributionCondition(Checked):
    op: IdentityOp
    value: Any = Field(default=None, validate_default=True)


class AttributionCriterion(Criterion):
    type: Literal["attribution"]
    event: Literal["install", "uninstall"]
    publisher: AttributionCondition | None = None
    campaign: AttributionCondition | None = None
    workspace_id: StrictInt | None = None


AnyCriterion = Annotated[
    EventCriterion
    | CartAbandonmentCriterion
    | UserAttributeCriterion
    | UserAttributeListCriterion
    | AudienceCriterion
    | CalculatedAttributeCriterion
    | ConsentCriterion
    | DeviceCriterion
    | FirstSeenCriterion
    | LocationCriterion
    | IdentityCriterion
    | AttributionCriterion,
    Field(discriminator="type"),
]
CRITERION_TYPES = (
    "event",
    "cart_abandonment",
    "user_attribute",
    "user_attribute_list",
    "audience",
    "calculated_attribute",
    "consent",
    "device",
    "first_seen",
    "location",
    "identity",
    "attribution",
)


class Definition(Strict):
    version: Literal[1]
    criteria: list[AnyCriterion] = Field(min_length=1, max_length=50)

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)

    def nested_audience_ids(self) -> list[int]:
        return [c.audience_id for c in self.criteria if isinstance(c, AudienceCriterion)]


def path_of(loc: Iterable[Any]) -> str:
    """A pydantic location as a JSON path, without the union tag pydantic inserts:
    ("criteria", 1, "event", "attributes", 0, "op") -> criteria[1].attributes[0].op"""
    parts = list(loc)
    path = ""
    for index, part in enumerate(parts):
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        if (
            index >= 2
            and isinstance(parts[index - 1], int)
            and parts[index - 2] == "criteria"
            and part in CRITERION_TYPES
        ):
            continue
        path += f".{part}" if path else str(part)
    return path or "$"


def _message(error: dict) -> str:
    message = error.get("msg", "invalid")
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if error.get("type") == "extra_forbidden":
        message = "unknown field"
    return message


def parse_definition(data: Any) -> tuple[Definition | None, list[dict[str, str]]]:
    """Structure and types only (no database): the model, or the faults with their paths."""
    try:
        definition = Definition.model_validate(data)
    except ValidationError as exc:
        return None, [{"path": path_of(error["loc"]), "message": _message(error)} for error in exc.errors()]
    errors = []
    for index, criterion in enumerate(definition.criteria):
        if index == 0 and criterion.join is not None:
            errors.append({"path": "criteria[0].join", "message": "the first criterion has no join"})
        if index > 0 and criterion.join is None:
            errors.append({"path": f"criteria[{index}].join", "message": "join is required: and, or or exclude"})
    return (None, errors) if errors else (definition, [])


def validate_definition(
    data: Any,
    *,
    account: Any,
    workspace_ids: Iterable[int],
    input_ids: Iterable[int],
    audience_id: int | None = None,
    multi_workspace: bool | None = None,
) -> tuple[Definition | None, list[dict[str, str]]]:
    """The definition if it is valid for this account and audience scope, else its faults.

    `workspace_ids` and `input_ids` are the audience's own; `audience_id` is the audience being
    saved (None for a new or unsaved one), so it can neither nest itself nor, while another
    audience nests it, nest anything.
    """
    from audiences.models import Audience

    definition, errors = parse_definition(data)
    if definition is None:
        return None, errors
    workspaces = set(workspace_ids)
    inputs = set(input_ids)
    multi = len(workspaces) > 1 if multi_workspace is None else multi_workspace
    account_id = getattr(account, "pk", account)

    nested_ids = definition.nested_audience_ids()
    nested = {a.pk: a for a in Audience.objects.filter(account_id=account_id, pk__in=nested_ids)}
    for index, criterion in enumerate(definition.criteria):
        at = f"criteria[{index}]"
        workspace_id = getattr(criterion, "workspace_id", None)
        if multi and workspace_id is not None and workspace_id not in workspaces:
            errors.append(
                {"path": f"{at}.workspace_id", "message": f"workspace {workspace_id} is not one of the audience's"}
            )
        for position, input_id in enumerate(getattr(criterion, "input_ids", None) or ()):
            if input_id not in inputs:
                errors.append(
                    {
                        "path": f"{at}.input_ids[{position}]",
                        "message": f"input {input_id} is not one of the audience's inputs",
                    }
                )
        if isinstance(criterion, AudienceCriterion):
            errors.extend(_nesting_faults(f"{at}.audience_id", criterion.audience_id, nested, audience_id))
    if nested_ids and audience_id is not None:
        users = _audiences_nesting(account_id, audience_id)
        if users:
            first = next(i for i, c in enumerate(definition.criteria) if isinstance(c, AudienceCriterion))
            names = ", ".join(sorted(a.name for a in users))
            errors.append(
                {
                    "path": f"criteria[{first}].audience_id",
                    "message": f"this audience is nested in {names}, so it cannot nest audiences itself",
                }
            )
    return (None, errors) if errors else (definition, [])


def _nesting_faults(path: str, nested_id: int, nested: dict, audience_id: int | None) -> list[dict[str, str]]:
    if audience_id is not None and nested_id == audience_id:
        return [{"path": path, "message": "an audience cannot include itself"}]
    target = nested.get(nested_id)
    if target is None:
        return [{"path": path, "message": f"audience {nested_id} does not exist in this account"}]
    if _nests_audiences(target.definition):
        return [
            {
                "path": path,
                "message": f"audience {target.name!r} nests other audiences; only audiences that nest none can be used",
            }
        ]
    return []


def _nests_audiences(data: Any) -> bool:
    criteria = data.get("criteria") if isinstance(data, dict) else None
    return any(isinstance(c, dict) and c.get("type") == "audience" for c in criteria or ())


def _audiences_nesting(account_id: int, audience_id: int) -> list[Any]:
    """Saved audiences whose definitions nest this one."""
    from audiences.models import Audience

    probe = {"criteria": [{"type": "audience", "audience_id": audience_id}]}
    return list(Audience.objects.filter(account_id=account_id, definition__contains=probe).exclude(pk=audience_id))
