"""A TRUNCATE of the profile rows empties their sample with DELETE: Django's flush truncates
both tables in one statement, and a TRUNCATE of the sample from inside it is refused."""

from django.db import migrations

REPLACE = """
CREATE OR REPLACE FUNCTION audiences_profilesample_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM audiences_profilesample;
    RETURN NULL;
END
$$;
"""

RESTORE = """
CREATE OR REPLACE FUNCTION audiences_profilesample_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE audiences_profilesample;
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("audiences", "0010_profile_sample")]

    operations = [migrations.RunSQL(REPLACE, RESTORE)]
