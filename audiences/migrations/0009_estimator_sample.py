"""The estimator's sample: a stable hash of the mpid into 100 buckets, computed by PostgreSQL.

Every table the criteria read gets a partial index over the first buckets, keyed by the hash,
so a 1% or 5% sample of profiles (with all of their events) is read through indexes without
any writer having to store a bucket. `audiences_profile.sample_bucket` is brought in line with
the same hash (ingestion writes it with the same function from now on).
"""

from django.db import migrations

# Buckets 0..SAMPLED-1 are indexed: the estimator never reads more than 5% of profiles.
SAMPLED = 5
BUCKET = "audiences_sample_bucket(mpid)"

CREATE = f"""
CREATE FUNCTION audiences_sample_bucket(mpid bigint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT mod(mod(hashint8extended(mpid, 0), 100) + 100, 100)::integer
$$;

UPDATE audiences_profile SET sample_bucket = {BUCKET} WHERE sample_bucket <> {BUCKET};

-- The universe and profile criteria of a sample: workspace rows of the sampled profiles.
CREATE INDEX profileworkspace_sample ON audiences_profileworkspace (workspace_id, ({BUCKET})) INCLUDE (mpid)
    WHERE {BUCKET} < {SAMPLED};
-- Event criteria of a sample: every event of the sampled profiles, by kind, name and time.
CREATE INDEX audiences_event_sample ON audiences_event (workspace_id, event_type, name, ({BUCKET}), "timestamp")
    WHERE {BUCKET} < {SAMPLED};
CREATE INDEX identity_sample ON audiences_identity (account_id, identity_type, ({BUCKET}))
    WHERE {BUCKET} < {SAMPLED};
CREATE INDEX member_sample ON audiences_member (audience_id, ({BUCKET})) WHERE {BUCKET} < {SAMPLED};
CREATE INDEX calculated_value_sample ON audiences_calculatedattributevalue (workspace_id, name, ({BUCKET}))
    WHERE {BUCKET} < {SAMPLED};
"""

DROP = """
DROP INDEX IF EXISTS calculated_value_sample;
DROP INDEX IF EXISTS member_sample;
DROP INDEX IF EXISTS identity_sample;
DROP INDEX IF EXISTS audiences_event_sample;
DROP INDEX IF EXISTS profileworkspace_sample;
DROP FUNCTION IF EXISTS audiences_sample_bucket(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [("audiences", "0008_ab_tests_downloads")]

    operations = [migrations.RunSQL(CREATE, DROP)]
