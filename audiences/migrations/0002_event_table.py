"""The event table, range-partitioned by (account, tier, timestamp).

Django cannot declare a partitioned table, so the `Event` model is unmanaged and its table
is created here. Partitions are created on demand by `audiences.partitions`.
"""

from django.db import migrations

CREATE = """
CREATE SEQUENCE audiences_event_id_seq AS bigint;
CREATE TABLE audiences_event (
    id bigint NOT NULL DEFAULT nextval('audiences_event_id_seq'),
    account_id bigint NOT NULL,
    tier smallint NOT NULL DEFAULT 0,
    "timestamp" timestamptz NOT NULL,
    workspace_id bigint NOT NULL,
    input_id bigint NOT NULL,
    mpid bigint NOT NULL,
    event_type varchar(40) NOT NULL,
    name varchar(500) NOT NULL DEFAULT '',
    custom_event_type varchar(40) NOT NULL DEFAULT '',
    attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
    commerce jsonb,
    extra jsonb,
    received_at timestamptz NOT NULL
) PARTITION BY RANGE (account_id, tier, "timestamp");
ALTER SEQUENCE audiences_event_id_seq OWNED BY audiences_event.id;
-- Event criteria: events of a kind and name in a workspace within a time window.
CREATE INDEX audiences_event_kind ON audiences_event (workspace_id, event_type, name, "timestamp");
-- Re-evaluating given users, and profile pages: one user's events by time.
CREATE INDEX audiences_event_mpid ON audiences_event (mpid, "timestamp");
"""

DROP = """
DROP TABLE IF EXISTS audiences_event CASCADE;
DROP SEQUENCE IF EXISTS audiences_event_id_seq;
"""


class Migration(migrations.Migration):
    dependencies = [("audiences", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
