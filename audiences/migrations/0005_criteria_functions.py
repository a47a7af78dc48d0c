"""SQL functions the compiled criteria use to read JSON values without ever raising an error.

They mirror `audiences.criteria.values` exactly (the property tests compare the two): a value
that cannot be read as text, number, boolean or date gives NULL, and a condition on NULL does
not match. Plain SQL functions, so PostgreSQL inlines them into the compiled query.
"""

from django.db import migrations

NUMBER_TEXT = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$"
DATE_TEXT = (
    r"^([1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([T ]([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9])(\.([0-9]{1,6}))?)?"
    r"(Z|([+-])(0[0-9]|1[0-4])(:?([0-5][0-9]))?)?)?$"
)
HAS_OFFSET = r"[T ][0-9:.]+(Z|[+-][0-9:]+)$"

CREATE = f"""
CREATE FUNCTION audiences_text(v jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(v) IN ('string', 'number', 'boolean') THEN v #>> '{{}}' END
$$;

CREATE FUNCTION audiences_number(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(v)
        WHEN 'number' THEN (v #>> '{{}}')::numeric
        WHEN 'string' THEN CASE WHEN (v #>> '{{}}') ~ '{NUMBER_TEXT}' THEN (v #>> '{{}}')::numeric END
    END
$$;

CREATE FUNCTION audiences_boolean(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(v)
        WHEN 'boolean' THEN (v #>> '{{}}')::boolean
        WHEN 'string' THEN CASE lower(v #>> '{{}}') WHEN 'true' THEN true WHEN 'false' THEN false END
    END
$$;

-- Nested CASEs, not AND: PostgreSQL does not promise to evaluate AND's operands in order, and
-- the casts below must only ever see text the patterns have vetted (30 February included).
CREATE FUNCTION audiences_date(v jsonb) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'string' THEN
        CASE WHEN (v #>> '{{}}') ~ '{DATE_TEXT}' THEN
            CASE WHEN substr(v #>> '{{}}', 9, 2)::int <= extract(day FROM make_date(
                    substr(v #>> '{{}}', 1, 4)::int, substr(v #>> '{{}}', 6, 2)::int, 1) + interval '1 month - 1 day')
            THEN
                CASE WHEN (v #>> '{{}}') ~ '{HAS_OFFSET}' THEN (v #>> '{{}}')::timestamptz
                ELSE (v #>> '{{}}')::timestamp AT TIME ZONE 'UTC' END
            END
        END
    END
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS audiences_text(jsonb);
DROP FUNCTION IF EXISTS audiences_number(jsonb);
DROP FUNCTION IF EXISTS audiences_boolean(jsonb);
DROP FUNCTION IF EXISTS audiences_date(jsonb);
"""


class Migration(migrations.Migration):
    dependencies = [("audiences", "0004_calculated_attribute_value")]

    operations = [migrations.RunSQL(CREATE, DROP)]
