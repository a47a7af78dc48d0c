"""A/B tests: save a test (fixed once saved), split members into variations, end the test.

Members are split by a stable hash of the mpid (salted per test) into 10,000 buckets; each
variation owns a contiguous range, the Control the rest. `calculation._apply` gives every new
member the variation of its bucket in the same statement that adds it, and a member keeps its
variation as long as it stays a member, so definition edits, recalculations and deactivation
never move anyone; a user who leaves and comes back lands in the same bucket, hence the same
variation.

Saving a test on an audience that already has members sets their variation in place, without
logging drops and adds: no connection can target a variation before the test exists, and
whole-audience connections do not care which variation a member is in, so nobody downstream
would see those changes. Earlier log entries keep a NULL variation (there was no test then).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import connection as db
from django.db import transaction

from audiences.models import Audience, AudienceKind, Member
from audiences.models.variations import (
    CONTROL_NAME,
    MAX_VARIATIONS,
    VARIATION_BUCKETS,
    ABTest,
    Variation,
    variation_join,
)


class TestRefused(Exception):
    """Bad or conflicting input: `status` is the HTTP answer (400 or 409), errors name paths."""

    __test__ = False  # not a pytest class

    def __init__(self, errors: list[dict[str, str]], status: int = 400):
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))
        self.errors = errors
        self.status = status


@dataclass(frozen=True)
class VariationIn:
    percent: int
    name: str = ""


@dataclass(frozen=True)
class Split:
    """A variation as shown or forwarded: a saved row, or the implied Control of no test."""

    id: int | None
    name: str
    percent: int
    is_control: bool


def test_of(audience: Audience) -> ABTest | None:
    return ABTest.objects.filter(audience=audience).first()


def has_test(audience: Audience) -> bool:
    return ABTest.objects.filter(audience=audience).exists()


def splits(audience: Audience) -> list[Split]:
    """The variations to show: the saved ones (Control last), or a single Control at 100%."""
    rows = list(Variation.objects.filter(audience=audience).order_by("is_control", "position"))
    if not rows:
        return [Split(None, CONTROL_NAME, 100, True)]
    return [Split(v.pk, v.name, v.percent, v.is_control) for v in rows]


def default_name(index: int) -> str:
    return f"Variation {chr(ord('A') + index)}"


def check_variations(variations: list[VariationIn]) -> list[dict[str, str]]:
    """Errors of a draft test, each naming its field; an empty list when it can be saved."""
    errors: list[dict[str, str]] = []
    if not variations:
        return [{"path": "variations", "message": "add at least one variation besides the Control"}]
    if len(variations) > MAX_VARIATIONS:
        return [
            {"path": "variations", "message": f"a test has at most {MAX_VARIATIONS} variations besides the Control"}
        ]
    total = 0
    names: set[str] = {CONTROL_NAME.casefold()}
    for index, variation in enumerate(variations):
        percent = variation.percent
        if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100:
            errors.append({"path": f"variations[{index}].percent", "message": "a whole percentage from 1 to 100"})
            continue
        total += percent
        if total > 100:
            errors.append(
                {
                    "path": f"variations[{index}].percent",
                    "message": f"the variations would add up to {total}%: the total cannot exceed 100%",
                }
            )
        name = (variation.name or default_name(index)).strip()
        if len(name) > 100 or "\x00" in name:
            errors.append({"path": f"variations[{index}].name", "message": "a name of at most 100 characters"})
        elif name.casefold() in names:
            errors.append({"path": f"variations[{index}].name", "message": f"the name {name!r} is already taken"})
        names.add(name.casefold())
    return errors


def save_test(audience: Audience, variations: list[VariationIn], *, acting_user=None) -> ABTest:
    """Fix the audience's test: variations in order, then the Control; split current members."""
    if audience.kind != AudienceKind.REALTIME:
        raise TestRefused([{"path": "audience", "message": "A/B tests are for real-time audiences"}])
    if has_test(audience):
        raise TestRefused(
            [{"path": "variations", "message": "this audience already has a saved test; delete it to start another"}],
            status=409,
        )
    errors = check_variations(variations)
    if errors:
        raise TestRefused(errors)
    with transaction.atomic(), db.cursor() as cursor:
        from audiences.calculation import lock_audience  # calculation imports the models this module uses

        lock_audience(cursor, audience.pk)
        if ABTest.objects.select_for_update().filter(audience=audience).exists():  # saved meanwhile
            raise TestRefused([{"path": "variations", "message": "this audience already has a saved test"}], 409)
        test = ABTest.objects.create(audience=audience, salt=secrets.token_hex(8), created_by=acting_user)
        start = 0
        for index, variation in enumerate(variations):
            width = variation.percent * VARIATION_BUCKETS // 100
            Variation.objects.create(
                test=test,
                audience=audience,
                name=(variation.name or default_name(index)).strip(),
                percent=variation.percent,
                position=index,
                bucket_start=start,
                bucket_end=start + width - 1,
            )
            start += width
        # The Control owns the rest (an empty range when the variations take 100%).
        Variation.objects.create(
            test=test,
            audience=audience,
            name=CONTROL_NAME,
            percent=100 - sum(v.percent for v in variations),
            is_control=True,
            position=len(variations),
            bucket_start=start,
            bucket_end=VARIATION_BUCKETS - 1,
        )
        cursor.execute(
            f"""
            UPDATE audiences_member AS m SET variation_id = s.variation_id FROM (
                SELECT m2.mpid, v.id AS variation_id FROM audiences_member AS m2
                {variation_join("m2.mpid", "%(audience)s")}
                WHERE m2.audience_id = %(audience)s
            ) AS s
            WHERE m.audience_id = %(audience)s AND m.mpid = s.mpid
            """,
            {"audience": audience.pk},
        )
    return test


def connections_of_test(audience: Audience):
    """The connections made for the test's variations (deleted with the test)."""
    from connections.models import Connection

    ids = Variation.objects.filter(audience=audience).values_list("pk", flat=True)
    return (
        Connection.objects.filter(audience=audience, variation_id__in=list(ids))
        .select_related("output_configuration", "audience")
        .order_by("variation_id", "pk")
    )


def delete_test(audience: Audience) -> int:
    """End the test: its variations and their connections go; members lose their variation.

    Partners that had been told about a variation's audience are told to delete it (as when an
    audience is deleted). Returns the number of connections deleted.
    """
    from connections.models import DownstreamDeletion

    test = test_of(audience)
    if test is None:
        raise TestRefused([{"path": "ab_test", "message": "this audience has no A/B test"}], status=404)
    names = dict(Variation.objects.filter(test=test).values_list("pk", "name"))
    with transaction.atomic(), db.cursor() as cursor:
        from audiences.calculation import lock_audience

        lock_audience(cursor, audience.pk)
        connections = list(connections_of_test(audience).select_for_update(of=("self",)))
        for connection in connections:
            if connection.connected_at is not None:
                DownstreamDeletion.objects.create(
                    output_configuration=connection.output_configuration,
                    audience_id=audience.pk,
                    name=audience.forwarded_name,
                    variation=names.get(connection.variation_id, ""),
                    partner_state=connection.partner_state,
                    settings=connection.settings,
                )
            connection.delete()
        Member.objects.filter(audience=audience).exclude(variation_id=None).update(variation_id=None)
        test.delete()
    return len(connections)
