"""Every condition operator, on user attributes, as a marketer reads them: strings compare
case-insensitively, `not_*` also match profiles without the key, and a value that cannot be
read as the condition's type simply does not match."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.world import Person, Row, audience_for, members, put

MISSING = object()


def matching(world, values: list[Any], **condition: Any) -> list[Any]:
    """The values (each one profile's attribute `a`, or MISSING) whose profile matches."""
    persons = [Person(rows=[Row(0, user_attributes={} if v is MISSING else {"a": v})]) for v in values]
    mpids = put(world, *persons)
    found = members(audience_for(world, {"type": "user_attribute", "key": "a", **condition}))
    return [value for mpid, value in zip(mpids, values, strict=True) if mpid in found]


def test_pattern_matches_whole_values_with_wildcards(world):
    values = ["blue", "BLUE", "blue shirt", "bleue", "ble", "bl_e", "bl%e"]
    assert matching(world, values, op="pattern", value="bl?e") == ["blue", "BLUE", "bl_e", "bl%e"]
    assert matching(world, values, op="pattern", value="b*e") == ["blue", "BLUE", "bleue", "ble", "bl_e", "bl%e"]


def test_pattern_treats_sql_wildcards_as_plain_characters(world):
    values = ["100%", "1000", "a_b", "axb", "a\\b"]
    assert matching(world, values, op="pattern", value="100%") == ["100%"]
    assert matching(world, values, op="pattern", value="a_b") == ["a_b"]
    assert matching(world, values, op="pattern", value="a\\b") == ["a\\b"]


def test_contains_matches_substrings_in_any_case(world):
    values = ["blue", "Blue Shirt", "navy", 42, MISSING]
    assert matching(world, values, op="contains", value="blue") == ["blue", "Blue Shirt"]
    assert matching(world, values, op="contains", value="4") == [42]


def test_not_contains_also_matches_profiles_without_the_key(world):
    values = ["blue", "Blue Shirt", "navy", MISSING, None]
    assert matching(world, values, op="not_contains", value="BLUE") == ["navy", MISSING, None]


def test_equals_is_the_whole_value_in_any_case(world):
    values = ["Premium", "premium", "PREMIUM", "Premium plus", MISSING]
    assert matching(world, values, op="equals", value="premium") == ["Premium", "premium", "PREMIUM"]


def test_equals_folds_case_beyond_ascii(world):
    values = ["École", "ÉCOLE", "ecole", "ΣΟΦΊΑ"]
    assert matching(world, values, op="equals", value="école") == ["École", "ÉCOLE"]
    assert matching(world, values, op="equals", value="σοφία") == ["ΣΟΦΊΑ"]


def test_not_equals_matches_other_values_and_missing_keys(world):
    values = ["Premium", "Basic", MISSING, None]
    assert matching(world, values, op="not_equals", value="PREMIUM") == ["Basic", MISSING, None]


def test_exists_is_true_for_a_key_present_with_a_null_value(world):
    values = ["Female", None, MISSING, ""]
    assert matching(world, values, op="exists") == ["Female", None, ""]
    assert matching(world, values, op="not_exists") == [MISSING]


@pytest.mark.parametrize(
    ("op", "value", "value2", "expected"),
    [
        ("gt", 30, None, [31, "40", 1e20]),
        ("gte", 30, None, [30, 31, "40", 30.0, 1e20]),
        ("lt", 30, None, [29.5, "-1e3"]),
        ("lte", 30, None, [30, 29.5, 30.0, "-1e3"]),
        ("between", 30, 31, [30, 31, 30.0]),
    ],
)
def test_numeric_comparisons_skip_values_that_are_not_numbers(world, op, value, value2, expected):
    values = [30, 31, "40", 29.5, 30.0, "-1e3", 1e20, "thirty", True, None, [30], MISSING, "0x1F", " 30"]
    condition = {"op": op, "value": value} | ({"value2": value2} if value2 is not None else {})
    assert matching(world, values, **condition) == expected


def test_equals_compares_numbers_as_numbers(world):
    values = [42, 42.0, "42", "42.00", "forty-two", MISSING]
    assert matching(world, values, op="equals", value=42) == [42, 42.0, "42", "42.00"]
    assert matching(world, values, op="equals", value="42", data_type="string") == [42, "42"]


def test_booleans_read_true_and_false_in_any_spelling_of_case(world):
    values = [True, False, "true", "FALSE", "yes", 1, None, MISSING]
    assert matching(world, values, op="is_true") == [True, "true"]
    assert matching(world, values, op="is_false") == [False, "FALSE"]
    assert matching(world, values, op="equals", value=False) == [False, "FALSE"]


def test_includes_needs_a_whole_element_while_partial_match_takes_a_part(world):
    def lists(op: str) -> list:
        values = [["Chicago", "Heat"], ["Chicago Cubs"], ["chicago"], "Chicago", [], MISSING]
        persons = [Person(rows=[Row(0, user_attributes={} if v is MISSING else {"movies": v})]) for v in values]
        mpids = put(world, *persons)
        criterion = {"type": "user_attribute_list", "key": "movies", "op": op, "value": "Chicago"}
        found = members(audience_for(world, criterion))
        return [index for index, mpid in enumerate(mpids) if mpid in found]

    assert lists("includes") == [0, 2]
    assert lists("partial_match") == [0, 1, 2]
    assert lists("not_includes") == [1, 3, 4, 5]


def test_the_catalogue_type_decides_how_equals_compares(world):
    from audiences.models import CatalogueAttribute

    CatalogueAttribute.objects.create(
        workspace=world.workspaces[0], key="a", detected_type="number", first_seen="2018-09-01T00:00:00Z"
    )
    values = ["7", "7.0", 7, "seven"]
    assert matching(world, values, op="equals", value="7") == ["7", "7.0", 7]
    assert matching(world, values, op="equals", value="7", data_type="string") == ["7", 7]
