"""A/B tests: an audience's members split into variations by a stable hash of the mpid.

A saved test is fixed: its variations are never edited, only the whole test deleted. The
Control is a real variation row created with the test (it covers the buckets the other
variations leave), so every member of an audience with a test carries a variation id, and
a connection can target the Control like any other variation. `variation_id` NULL on a
member means the audience has no test.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from audiences.models.audiences import Audience

# Members fall in 10,000 hash buckets; a variation of p percent owns p * 100 contiguous ones.
VARIATION_BUCKETS = 10_000
MAX_VARIATIONS = 5
CONTROL_NAME = "Control"


class ABTest(models.Model):
    audience = models.OneToOneField(Audience, on_delete=models.CASCADE, related_name="ab_test")
    salt = models.CharField(
        max_length=32, help_text="Mixed into the mpid's hash, so two tests never split users the same way."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "A/B test"

    def __str__(self) -> str:
        return f"A/B test of {self.audience}"


class Variation(models.Model):
    test = models.ForeignKey(ABTest, on_delete=models.CASCADE, related_name="variations")
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="variations")
    name = models.CharField(max_length=100)
    percent = models.PositiveSmallIntegerField()
    is_control = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    bucket_start = models.PositiveIntegerField(help_text="First bucket (inclusive).")
    bucket_end = models.PositiveIntegerField(help_text="Last bucket (inclusive).")

    class Meta:
        ordering = ["audience", "position"]
        constraints = [
            models.UniqueConstraint(fields=["test", "name"], name="variation_name_unique_in_test"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.percent}%)"


def bucket_sql(mpid_sql: str, salt_sql: str) -> str:
    """The SQL of an mpid's variation bucket (0..VARIATION_BUCKETS-1) under a test's salt.

    `hashtextextended` is PostgreSQL's stable 64-bit text hash (the one hash partitioning
    relies on), so a user's bucket never changes for a given salt; the double modulo keeps
    negative hashes in range.
    """
    n = VARIATION_BUCKETS
    return f"mod(mod(hashtextextended({salt_sql} || ':' || ({mpid_sql})::text, 0), {n}) + {n}, {n})"


def variation_join(mpid_sql: str, audience_sql: str, alias: str = "v") -> str:
    """A LEFT JOIN that gives each row the id of the audience's variation its mpid falls in.

    The test's id and salt are uncorrelated subqueries (evaluated once per statement); without a
    test the join matches nothing and the variation is NULL.
    """
    test = f"(SELECT t.id FROM audiences_abtest AS t WHERE t.audience_id = {audience_sql})"
    salt = f"(SELECT t.salt FROM audiences_abtest AS t WHERE t.audience_id = {audience_sql})"
    return (
        f"LEFT JOIN audiences_variation AS {alias} ON {alias}.test_id = {test}"
        f" AND {bucket_sql(mpid_sql, salt)} BETWEEN {alias}.bucket_start AND {alias}.bucket_end"
    )
