"""Audience lifecycle: create, change, tag, clone, activate, deactivate, delete.

Every function validates everything first and writes nothing when any field is wrong; the
faults come back as `AudienceRefused.errors`, a list of {"path", "message"} that the API
answers as is and forms map to their fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import Account, Workspace
from audiences.models import Audience, AudienceKind, AudienceStatus, Input, StandardState, Tag
from audiences.models.audiences import Access, CalculationState

TAG_MAX = 18
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
NAME_MAX = 100


class AudienceRefused(Exception):
    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))
        self.errors = errors


class AudienceInUse(Exception):
    """The audience is nested in other audiences' definitions, so it cannot be deleted."""

    def __init__(self, nesting: list[Audience]):
        super().__init__("nested in " + ", ".join(a.name for a in nesting))
        self.nesting = nesting


def _clean_tags(names: Iterable[str], errors: list[dict[str, str]]) -> list[str]:
    cleaned: list[str] = []
    for index, raw in enumerate(names):
        name = str(raw).strip()
        if not name:
            errors.append({"path": f"tags[{index}]", "message": "a tag cannot be empty"})
        elif len(name) > TAG_MAX:
            errors.append({"path": f"tags[{index}]", "message": f"a tag is at most {TAG_MAX} characters"})
        elif name.lower() not in (t.lower() for t in cleaned):
            cleaned.append(name)
    return cleaned


def _clean_names(name: str | None, external_name: str | None, errors: list[dict[str, str]]) -> None:
    if name is not None:
        if not name.strip():
            errors.append({"path": "name", "message": "give the audience a name"})
        elif len(name.strip()) > NAME_MAX:
            errors.append({"path": "name", "message": f"a name is at most {NAME_MAX} characters"})
    if external_name is not None and len(external_name.strip()) > NAME_MAX:
        errors.append({"path": "external_name", "message": f"an external name is at most {NAME_MAX} characters"})


def _clean_scope(
    account: Account,
    workspace_ids: list[int],
    input_ids: list[int] | None,
    multi_workspace: bool,
    errors: list[dict[str, str]],
) -> tuple[list[Workspace], list[Input]]:
    workspaces = list(Workspace.objects.filter(account=account, pk__in=workspace_ids))
    found = {w.pk for w in workspaces}
    for index, pk in enumerate(workspace_ids):
        if pk not in found:
            errors.append({"path": f"workspace_ids[{index}]", "message": f"no workspace {pk} in this account"})
    if not workspace_ids:
        errors.append({"path": "workspace_ids", "message": "pick at least one workspace"})
    elif not multi_workspace and len(set(workspace_ids)) > 1:
        errors.append({"path": "workspace_ids", "message": "a single-workspace audience has exactly one workspace"})
    if input_ids is None:
        return workspaces, list(Input.objects.filter(workspace__in=workspaces))
    inputs = list(Input.objects.filter(workspace__in=workspaces, pk__in=input_ids))
    allowed = {i.pk for i in inputs}
    for index, pk in enumerate(input_ids):
        if pk not in allowed:
            errors.append({"path": f"input_ids[{index}]", "message": f"input {pk} is not in the audience's workspaces"})
    return workspaces, inputs


def _clean_definition(
    definition: dict[str, Any] | None,
    *,
    account: Account,
    workspaces: list[Workspace],
    inputs: list[Input],
    audience: Audience | None,
    errors: list[dict[str, str]],
) -> dict[str, Any] | None:
    if definition is None:
        return None
    from audiences.criteria.definition import validate_definition

    unstorable = unstorable_text(definition, "definition")
    if unstorable:
        # PostgreSQL cannot store these in jsonb; refuse them by path instead of failing on save.
        errors.append({"path": unstorable, "message": "text may not contain NUL (U+0000) or unpaired surrogates"})
        return None
    parsed, faults = validate_definition(
        definition,
        account=account,
        workspace_ids=[w.pk for w in workspaces],
        input_ids=[i.pk for i in inputs],
        audience_id=audience.pk if audience else None,
    )
    for fault in faults:
        path = fault["path"]
        errors.append(
            {"path": f"definition.{path}" if path and path != "$" else "definition", "message": fault["message"]}
        )
    return definition if parsed is not None else None


def unstorable_text(value: Any, path: str) -> str | None:
    """The path of the first text (key or value) holding NUL or a lone surrogate, if any."""
    if isinstance(value, str):
        return path if UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = unstorable_text(key, f"{path}.{key}") or unstorable_text(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_text(item, f"{path}[{index}]")
            if found:
                return found
    return None


def tags_named(account: Account, names: list[str]) -> list[Tag]:
    """The account's tags with these names, created on the fly."""
    tags = []
    for name in names:
        tag = Tag.objects.filter(account=account, name__iexact=name).first()
        tags.append(tag or Tag.objects.create(account=account, name=name))
    return tags


def create_audience(
    *,
    account: Account,
    acting_user,
    name: str,
    workspace_ids: list[int],
    external_name: str = "",
    input_ids: list[int] | None = None,
    multi_workspace: bool | None = None,
    definition: dict[str, Any] | None = None,
    tags: Iterable[str] = (),
    kind: str = AudienceKind.REALTIME,
    access: str = Access.PRIVATE,
) -> Audience:
    errors: list[dict[str, str]] = []
    multi = multi_workspace if multi_workspace is not None else len(set(workspace_ids)) > 1
    _clean_names(name, external_name, errors)
    if kind not in AudienceKind.values:
        errors.append({"path": "kind", "message": f"kind is one of {', '.join(AudienceKind.values)}"})
    if access not in Access.values:
        errors.append({"path": "access", "message": f"access is one of {', '.join(Access.values)}"})
    clean_tags = _clean_tags(tags, errors)
    workspaces, inputs = _clean_scope(account, workspace_ids, input_ids, multi, errors)
    if not errors:
        _clean_definition(
            definition, account=account, workspaces=workspaces, inputs=inputs, audience=None, errors=errors
        )
    if errors:
        raise AudienceRefused(errors)
    with transaction.atomic():
        audience = Audience.objects.create(
            account=account,
            kind=kind,
            multi_workspace=multi,
            name=name.strip(),
            external_name=external_name.strip(),
            definition=definition,
            access=access,
            created_by=acting_user,
        )
        audience.workspaces.set(workspaces)
        audience.inputs.set(inputs)
        audience.tags.set(tags_named(account, clean_tags))
    return audience


def _calculated_standard_changes(
    audience: Audience, state: str, definition: dict[str, Any] | None, input_ids: list[int] | None
) -> list[dict[str, str]]:
    """A standard audience past Draft keeps its criteria and inputs: its members were
    calculated from them, so a new version is a clone."""
    if audience.kind != AudienceKind.STANDARD or state == StandardState.DRAFT:
        return []
    return [
        {"path": path, "message": "a calculated standard audience cannot change: clone it"}
        for path, value in (("definition", definition), ("input_ids", input_ids))
        if value is not None
    ]


def update_audience(
    audience: Audience,
    *,
    acting_user,
    name: str | None = None,
    external_name: str | None = None,
    definition: dict[str, Any] | None = None,
    tags: Iterable[str] | None = None,
    access: str | None = None,
    input_ids: list[int] | None = None,
) -> Audience:
    """Change what is given. A new definition of an active audience recalculates it."""
    errors: list[dict[str, str]] = []
    _clean_names(name, external_name, errors)
    if access is not None and access not in Access.values:
        errors.append({"path": "access", "message": f"access is one of {', '.join(Access.values)}"})
    clean_tags = _clean_tags(tags, errors) if tags is not None else None
    errors += _calculated_standard_changes(audience, audience.standard_state, definition, input_ids)
    workspaces = list(audience.workspaces.all())
    if input_ids is not None:
        workspaces, inputs = _clean_scope(
            audience.account, [w.pk for w in workspaces], input_ids, audience.multi_workspace, errors
        )
    else:
        inputs = list(audience.inputs.all())
    if definition is not None and not errors:
        _clean_definition(
            definition, account=audience.account, workspaces=workspaces, inputs=inputs, audience=audience, errors=errors
        )
    if errors:
        raise AudienceRefused(errors)
    with transaction.atomic():
        # The caller's copy may be stale (a page loaded before Calculate): look again under a
        # lock, and write only the fields changed here, never the state others have moved on.
        state = Audience.objects.select_for_update().values_list("standard_state", flat=True).get(pk=audience.pk)
        refused = _calculated_standard_changes(audience, state, definition, input_ids)
        if refused:
            raise AudienceRefused(refused)
        fields = ["updated_at"]
        if name is not None:
            audience.name = name.strip()
            fields.append("name")
        if external_name is not None:
            audience.external_name = external_name.strip()
            fields.append("external_name")
        if access is not None:
            audience.access = access
            fields.append("access")
        if definition is not None:
            audience.definition = definition
            fields.append("definition")
        audience.save(update_fields=fields)
        if input_ids is not None:
            audience.inputs.set(inputs)
        if clean_tags is not None:
            audience.tags.set(tags_named(audience.account, clean_tags))
        if audience.status == AudienceStatus.ACTIVE and (definition is not None or input_ids is not None):
            _calculate_on_commit(audience)
    return audience


def add_tag(audience: Audience, name: str) -> Tag:
    errors: list[dict[str, str]] = []
    clean = _clean_tags([name], errors)
    if errors:
        raise AudienceRefused([{"path": "tag", "message": errors[0]["message"]}])
    tag = tags_named(audience.account, clean)[0]
    audience.tags.add(tag)
    return tag


def remove_tag(audience: Audience, name: str) -> None:
    audience.tags.remove(*audience.tags.filter(name__iexact=name.strip()))


def clone_audience(audience: Audience, *, acting_user) -> Audience:
    """A draft copy with the same scope, definition and tags, named "Copy of ..."."""
    with transaction.atomic():
        copy = Audience.objects.create(
            account=audience.account,
            kind=audience.kind,
            multi_workspace=audience.multi_workspace,
            name=f"Copy of {audience.name}"[:NAME_MAX],
            external_name=audience.external_name,
            definition=audience.definition,
            access=audience.access,
            created_by=acting_user,
        )
        copy.workspaces.set(audience.workspaces.all())
        copy.inputs.set(audience.inputs.all())
        copy.tags.set(audience.tags.all())
    return copy


def nesting_audiences(audience: Audience) -> QuerySet[Audience]:
    """Audiences whose definitions use this one as a membership criterion."""
    return (
        Audience.objects.filter(
            account=audience.account,
            definition__criteria__contains=[{"type": "audience", "audience_id": audience.pk}],
        )
        .exclude(pk=audience.pk)
        .select_related("created_by")
    )


def delete_audience(audience: Audience, *, acting_user) -> None:
    if audience.kind == AudienceKind.STANDARD and audience.standard_state == StandardState.CALCULATING:
        # Its credits are spent and the job is writing its members: let it finish first.
        raise AudienceRefused(
            [{"path": "standard_state", "message": "it is being calculated; delete it once the calculation is done"}]
        )
    nesting = list(nesting_audiences(audience))
    if nesting:
        raise AudienceInUse(nesting)
    audience.delete()


def _calculate_on_commit(audience: Audience) -> None:
    from audiences.tasks import calculate_audience

    Audience.objects.filter(pk=audience.pk).update(
        calculation_state=CalculationState.CALCULATING, calculation_progress=0.0
    )
    transaction.on_commit(lambda: calculate_audience.delay(audience.pk))


def activate(audience: Audience, *, acting_user) -> None:
    """Start real-time calculation; a draft without a definition cannot be activated."""
    if audience.kind == AudienceKind.STANDARD:
        # Standard audiences are calculated on request, spending credits (audiences.standard).
        raise AudienceRefused([{"path": "kind", "message": "a standard audience is calculated, not activated"}])
    if not audience.definition:
        raise AudienceRefused([{"path": "definition", "message": "add at least one criterion before activating"}])
    with transaction.atomic():
        audience.status = AudienceStatus.ACTIVE
        audience.save(update_fields=["status", "updated_at"])
        _calculate_on_commit(audience)


def deactivate(audience: Audience, *, acting_user) -> None:
    """Stop updates; members stay as they were until the audience is activated again."""
    audience.status = AudienceStatus.INACTIVE
    audience.save(update_fields=["status", "updated_at"])
