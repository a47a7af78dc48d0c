"""The data type each condition compares as: its `data_type`, else the workspace catalogue's
type for that attribute, else what its operator and value imply.

Only `equals`/`not_equals` compare differently by type (text, number or boolean); the other
operators fix their own reading. Both evaluators take a definition whose types are resolved,
so they never disagree about a type and never read the catalogue themselves.
"""

from __future__ import annotations

from typing import Any

from audiences.criteria.definition import (
    BOOLEAN_OPS,
    LIST_OPS,
    NUMBER_OPS,
    AttributionCriterion,
    CalculatedAttributeCriterion,
    Definition,
    DeviceCriterion,
    EventCriterion,
    IdentityCriterion,
    UserAttributeCriterion,
)
from audiences.criteria.scope import Scope


def implied_type(op: str, value: Any) -> str:
    if op in NUMBER_OPS:
        return "number"
    if op in BOOLEAN_OPS:
        return "boolean"
    if op in LIST_OPS:
        return "list"
    if op == "time":
        return "date"
    if op in ("equals", "not_equals"):
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int | float):
            return "number"
    return "string"


def catalogue_types(scope: Scope, wanted: set[tuple[tuple[int, ...], str, str | None, str]]) -> dict:
    """{(workspaces, event_type, event_name, key): type} for the keys the catalogue knows.

    Event conditions without an event name take the type the key has under every name; keys
    whose types disagree (between names or workspaces) compare as strings, the safe common type.
    """
    from audiences.models import CatalogueAttribute

    if not wanted:
        return {}
    workspaces = {w for entry in wanted for w in entry[0]}
    keys = {entry[3] for entry in wanted}
    rows = CatalogueAttribute.objects.filter(workspace_id__in=workspaces, key__in=keys).only(
        "workspace_id", "event_type", "event_name", "key", "detected_type", "override_type"
    )
    found: dict = {}
    for entry in wanted:
        within, event_type, event_name, key = entry
        types = {
            row.data_type
            for row in rows
            if row.workspace_id in within
            and row.key == key
            and row.event_type == event_type
            and (event_name is None or row.event_name == event_name)
        }
        if types:
            found[entry] = types.pop() if len(types) == 1 else "string"
    return found


def resolve_types(definition: Definition, scope: Scope) -> Definition:
    """A copy of the definition with `data_type` set on every condition."""
    wanted: set = set()
    for criterion in definition.criteria:
        within = scope.workspaces_for(criterion)
        if isinstance(criterion, EventCriterion):
            for condition in criterion.attributes:
                if condition.data_type is None:
                    wanted.add((within, criterion.event_type, criterion.name, condition.key))
        elif isinstance(criterion, UserAttributeCriterion) and criterion.data_type is None:
            wanted.add((within, "", "", criterion.key))
    known = catalogue_types(scope, wanted)

    def typed(condition: Any, entry: tuple | None) -> Any:
        if condition.data_type is not None:
            return condition
        data_type = known.get(entry) if entry else None
        return condition.model_copy(update={"data_type": data_type or implied_type(condition.op, condition.value)})

    criteria = []
    for criterion in definition.criteria:
        within = scope.workspaces_for(criterion)
        if isinstance(criterion, EventCriterion):
            conditions = [typed(c, (within, criterion.event_type, criterion.name, c.key)) for c in criterion.attributes]
            criterion = criterion.model_copy(update={"attributes": conditions})
        elif isinstance(criterion, UserAttributeCriterion):
            criterion = typed(criterion, (within, "", "", criterion.key))
        elif isinstance(criterion, CalculatedAttributeCriterion | DeviceCriterion):
            criterion = typed(criterion, None)
        elif isinstance(criterion, IdentityCriterion | AttributionCriterion):
            pass  # identities and attribution fields are always text
        criteria.append(criterion)
    return definition.model_copy(update={"criteria": criteria})


def type_of(condition: Any) -> str:
    """The resolved type of a condition (identities, attribution and lists have a fixed one)."""
    return getattr(condition, "data_type", None) or implied_type(condition.op, getattr(condition, "value", None))
