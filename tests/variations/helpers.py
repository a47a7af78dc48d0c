"""Generated profiles for A/B tests: many users, written by SQL in one go."""

from __future__ import annotations

from django.db import connection

from audiences import services
from audiences.calculation import calculate
from audiences.models import Audience


def generate_profiles(tenant, count: int, *, start: int = 1_000_000, step: int = 7_919) -> list[int]:
    """`count` profiles in the tenant's workspace with `age` 0..99 (by position) and one email.

    mpids are spread out (a large odd step) so consecutive numbers never line up with buckets.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH ids AS (SELECT g AS n, %(start)s::bigint + g * %(step)s::bigint AS mpid
                         FROM generate_series(0, %(count)s - 1) AS g),
            profiles AS (
                INSERT INTO audiences_profile (mpid, account_id, sample_bucket, created_at)
                SELECT mpid, %(account)s, 0, now() FROM ids RETURNING mpid
            ),
            places AS (
                INSERT INTO audiences_profileworkspace
                    (mpid, workspace_id, first_seen, last_seen, user_attributes, consent, device)
                SELECT mpid, %(workspace)s, now(), now(),
                       jsonb_build_object('status', 'Premium', 'age', n %% 100), '{}', '{}'
                FROM ids RETURNING mpid
            )
            INSERT INTO audiences_identity
                (account_id, mpid, workspace_id, identity_type, value, first_seen, last_seen)
            SELECT %(account)s, mpid, %(workspace)s, 'email', 'user' || mpid || '@example.com', now(), now()
            FROM ids
            """,
            {
                "start": start,
                "step": step,
                "count": count,
                "account": tenant.account.pk,
                "workspace": tenant.workspace.pk,
            },
        )
    return [start + n * step for n in range(count)]


def age_below(limit: int) -> dict:
    return {"version": 1, "criteria": [{"type": "user_attribute", "key": "age", "op": "lt", "value": limit}]}


def calculated_audience(tenant, definition: dict, name: str = "Low engagement") -> Audience:
    audience = services.create_audience(
        account=tenant.account,
        acting_user=tenant.marketer,
        name=name,
        workspace_ids=[tenant.workspace.pk],
        definition=definition,
    )
    Audience.objects.filter(pk=audience.pk).update(status="active")
    audience.refresh_from_db()
    calculate(audience)
    return audience
