"""The builder between two posts: the criteria being edited, the open editor, the faults.

Every post carries the criteria (the hidden `definition` field) and, while an editor is
open, which criterion it edits; `apply` performs one button's action on that state. Nothing
here stores anything: Save as Draft and Activate go through `audiences.services`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from audiences.builder.editor import Catalogue
from audiences.builder.edits import criteria_of, draft_identity, move, normalise_joins, readable
from audiences.builder.fields import engine_faults, read_editor
from audiences.builder.vocabulary import JOINS, new_criterion
from audiences.models import Audience, AudienceKind

EDITOR_ACTIONS = ("refresh", "attr-add", "attr-remove", "done", "cancel")
INDEX = re.compile(r"[0-9]{1,4}")


def index_in(text: Any) -> int | None:
    """A small non-negative index written in ASCII digits, else None."""
    return int(text) if isinstance(text, str) and INDEX.fullmatch(text) else None


def read_json(text: Any) -> Any:
    """JSON from a hidden field, or the `ValueError` class itself when it cannot be read."""
    try:
        return json.loads(text or "null")
    except (ValueError, RecursionError):
        return ValueError


@dataclass
class Build:
    criteria: list[dict[str, Any]]
    editing: int | None = None
    draft: dict[str, Any] | None = None
    field_errors: dict[str, str] = field(default_factory=dict)
    criterion_errors: dict[int, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def saved(cls, audience: Audience) -> Build:
        return cls(criteria=criteria_of(audience.definition))

    @classmethod
    def posted(cls, audience: Audience, data: QueryDict) -> Build:
        state = cls(criteria=criteria_of(audience.definition))
        posted = read_json(data.get("definition"))
        if posted is ValueError:
            state.problems.append("The criteria could not be read back; the saved ones are shown again.")
        else:
            state.criteria = criteria_of(posted)
        for index, criterion in enumerate(state.criteria):
            join = data.get(f"join-{index}")
            if index and join in JOINS:
                criterion["join"] = join
        normalise_joins(state.criteria)
        editing = index_in(data.get("editing"))
        identity = draft_identity(read_json(data.get("draft")))
        if editing is not None and editing <= len(state.criteria) and identity is not None:
            state.editing, state.draft = editing, identity
        return state

    def close_editor(self) -> None:
        self.editing, self.draft, self.field_errors = None, None, {}

    def apply(self, audience: Audience, action: str, data: QueryDict) -> None:
        """Perform one button's action (`add:user_attribute`, `edit:2`, `done`, ...)."""
        verb, _, arg = action.partition(":")
        number = index_in(arg)
        if verb in EDITOR_ACTIONS and self.draft is not None:
            self._edit(audience, verb, number, data)
            return
        self.close_editor()
        if verb == "add":
            draft = new_criterion(arg, standard=audience.kind == AudienceKind.STANDARD)
            if draft is not None:
                if self.criteria:
                    draft["join"] = "and"
                self.editing, self.draft = len(self.criteria), draft
        elif number is None or number >= len(self.criteria):
            return
        elif verb == "edit" and readable(self.criteria[number]):
            self.editing, self.draft = number, json.loads(json.dumps(self.criteria[number]))
        elif verb == "remove":
            self.criteria.pop(number)
            normalise_joins(self.criteria)
        elif verb in ("up", "down"):
            move(self.criteria, number, -1 if verb == "up" else 1)

    def _edit(self, audience: Audience, verb: str, number: int | None, data: QueryDict) -> None:
        """An action of the open editor: its fields are read back first, whatever the action."""
        if verb == "cancel":
            self.close_editor()
            return
        final = verb == "done"
        catalogue = Catalogue(list(audience.workspaces.values_list("pk", flat=True)))
        criterion, errors = read_editor(
            self.draft,
            data,
            catalogue=catalogue,
            multi=audience.multi_workspace,
            refresh=not final,
            standard=audience.kind == AudienceKind.STANDARD,
        )
        if verb == "attr-add":
            criterion.setdefault("attributes", []).append({"key": "", "op": "equals", "value": ""})
        elif verb == "attr-remove" and number is not None and number < len(criterion.get("attributes", [])):
            criterion["attributes"].pop(number)
        if not final:
            self.draft = criterion
            return
        errors = errors or engine_faults(audience, criterion)
        if errors:
            self.draft, self.field_errors = criterion, errors
            return
        if self.editing is not None and self.editing < len(self.criteria):
            self.criteria[self.editing] = criterion
        else:
            self.criteria.append(criterion)
        normalise_joins(self.criteria)
        self.close_editor()

    def add_refusal(self, errors: list[dict[str, str]]) -> None:
        """Put the services' faults (`definition.criteria[1].op`) on the criteria they name."""
        for error in errors:
            path = error["path"].removeprefix("definition.")
            found = re.match(r"criteria\[([0-9]+)\]\.?(.*)", path)
            if found:
                where = found.group(2)
                message = f"{where}: {error['message']}" if where else error["message"]
                self.criterion_errors.setdefault(int(found.group(1)), []).append(message)
            else:
                self.problems.append(error["message"])
