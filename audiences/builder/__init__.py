"""The audience builder's server side: the Add Criteria menu, one editor per criterion type,
and the edits (add, change, remove, reorder, join) applied to a definition being edited.

The Build tab keeps the definition being edited as JSON in a hidden field; every button posts
it back together with the open editor's fields. `fields` turns the fields into one criterion
of DEFINITION.md, `editor` turns a criterion back into what the editor shows. Whether a
criterion is valid is the engine's call (`validate_definition`); its faults are put back on
the editor's fields.
"""

from audiences.builder.editor import Catalogue, editor_view
from audiences.builder.edits import criteria_of, definition_of, draft_identity, move, normalise_joins, readable
from audiences.builder.fields import engine_faults, read_editor
from audiences.builder.vocabulary import JOINS, MENU, new_criterion, title_of
from audiences.builder.words import summary

__all__ = [
    "JOINS",
    "MENU",
    "Catalogue",
    "criteria_of",
    "definition_of",
    "draft_identity",
    "editor_view",
    "engine_faults",
    "move",
    "new_criterion",
    "normalise_joins",
    "read_editor",
    "readable",
    "summary",
    "title_of",
]
