"""Members split into variations by a stable hash: shares hold on 100,000 users, and nobody
moves between variations when the definition changes, the audience is recalculated, or a user
leaves and comes back."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count

from audiences.calculation import calculate
from audiences.models import Audience, Member, MembershipChange
from audiences.models.variations import ABTest, Variation
from audiences.variations import TestRefused, VariationIn, delete_test, save_test, splits
from tests.variations.helpers import age_below, calculated_audience, generate_profiles

pytestmark = pytest.mark.django_db

SHARES = [VariationIn(40, "Email"), VariationIn(35, "Push")]  # Control: 25


def _shares(audience: Audience) -> dict[str, float]:
    names = dict(Variation.objects.filter(audience=audience).values_list("pk", "name"))
    counts = Member.objects.filter(audience=audience).values("variation_id").annotate(n=Count("mpid"))
    total = sum(row["n"] for row in counts)
    return {names.get(row["variation_id"], "none"): 100 * row["n"] / total for row in counts}


def _variations(audience: Audience) -> dict[int, int]:
    return dict(Member.objects.filter(audience=audience).values_list("mpid", "variation_id"))


def test_a_test_saved_before_calculation_splits_100000_members_within_a_point(tenant):
    generate_profiles(tenant, 100_000)
    audience = calculated_audience(tenant, age_below(0), name="Nobody yet")
    save_test(audience, SHARES, acting_user=tenant.marketer)
    Audience.objects.filter(pk=audience.pk).update(definition=age_below(100))
    audience.refresh_from_db()
    calculate(audience)  # every member is added by the calculation, with its variation

    shares = _shares(audience)
    assert audience.members.count() == 100_000
    assert set(shares) == {"Email", "Push", "Control"}
    assert abs(shares["Email"] - 40) < 1 and abs(shares["Push"] - 35) < 1 and abs(shares["Control"] - 25) < 1
    # The change log carries the variation of every add.
    logged = Counter(
        MembershipChange.objects.filter(audience=audience, added=True).values_list("variation_id", flat=True)
    )
    assert None not in logged and sum(logged.values()) == 100_000


def test_a_test_saved_on_a_calculated_audience_splits_its_members_within_a_point(tenant):
    generate_profiles(tenant, 100_000)
    audience = calculated_audience(tenant, age_below(100))
    assert set(_variations(audience).values()) == {None}
    save_test(audience, [VariationIn(40), VariationIn(40)], acting_user=tenant.marketer)

    shares = _shares(audience)
    assert set(shares) == {"Variation A", "Variation B", "Control"}
    assert abs(shares["Variation A"] - 40) < 1 and abs(shares["Variation B"] - 40) < 1
    assert abs(shares["Control"] - 20) < 1
    assert [(s.name, s.percent) for s in splits(audience)] == [
        ("Variation A", 40),
        ("Variation B", 40),
        ("Control", 20),
    ]


def test_nobody_changes_variation_across_definition_edits_recalculation_and_coming_back(tenant):
    generate_profiles(tenant, 20_000)
    audience = calculated_audience(tenant, age_below(60))
    save_test(audience, SHARES, acting_user=tenant.marketer)
    before = _variations(audience)

    for definition in (age_below(80), age_below(50), age_below(80)):
        Audience.objects.filter(pk=audience.pk).update(definition=definition)
        audience.refresh_from_db()
        calculate(audience)
        calculate(audience)  # a recalculation with nothing new changes nothing
        after = _variations(audience)
        kept = before.keys() & after.keys()
        assert kept, "the edit kept some members"
        assert [m for m in kept if before[m] != after[m]] == []
        before.update(after)
    # Users dropped at age < 50 and back at age < 80 have the variation they had before.
    returned = MembershipChange.objects.filter(audience=audience, added=False).values_list("mpid", flat=True)
    assert returned.exists()
    assert all(after[m] == before[m] for m in returned if m in after)


def test_bad_tests_are_refused_and_change_nothing(tenant):
    generate_profiles(tenant, 1_000)
    audience = calculated_audience(tenant, age_below(100))

    with pytest.raises(TestRefused) as refused:
        save_test(audience, [VariationIn(60), VariationIn(50)])
    assert refused.value.status == 400
    assert refused.value.errors == [
        {
            "path": "variations[1].percent",
            "message": "the variations would add up to 110%: the total cannot exceed 100%",
        }
    ]
    with pytest.raises(TestRefused) as refused:
        save_test(audience, [VariationIn(10)] * 6)
    assert refused.value.errors[0]["path"] == "variations"
    assert "at most 5" in refused.value.errors[0]["message"]
    with pytest.raises(TestRefused) as refused:
        save_test(audience, [VariationIn(10, "Control")])
    assert refused.value.errors[0]["path"] == "variations[0].name"
    assert not ABTest.objects.exists() and not Variation.objects.exists()
    assert set(_variations(audience).values()) == {None}

    save_test(audience, [VariationIn(50)])
    split = _variations(audience)
    with pytest.raises(TestRefused) as refused:
        save_test(audience, [VariationIn(20)])
    assert refused.value.status == 409
    assert list(Variation.objects.values_list("name", "percent")) == [("Variation A", 50), ("Control", 50)]
    assert _variations(audience) == split


def test_deleting_the_test_clears_variations_and_a_new_test_splits_anew(tenant):
    generate_profiles(tenant, 2_000)
    audience = calculated_audience(tenant, age_below(100))
    save_test(audience, [VariationIn(50)])
    delete_test(audience)
    assert not Variation.objects.exists()
    assert set(_variations(audience).values()) == {None}
    assert [(s.name, s.percent, s.id) for s in splits(audience)] == [("Control", 100, None)]
