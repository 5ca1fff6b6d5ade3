{#
    values_in_range: every non-null value of the column lies within
    [min_value, max_value]. Either bound may be omitted. inclusive=true
    (default) accepts the bounds themselves; inclusive=false requires
    min_value < value < max_value (e.g. lift > 0). Nulls pass (add not_null
    for them). Fails with one row per offending value and how often it occurs.

        - values_in_range:
            arguments: {min_value: 1, max_value: 5}
        - values_in_range:
            arguments: {min_value: 0, inclusive: false}
#}
{% test values_in_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

{%- if min_value is none and max_value is none %}
    {{ exceptions.raise_compiler_error("values_in_range on " ~ column_name ~ ": give min_value, max_value or both") }}
{%- endif %}
{%- set below = '<' if inclusive else '<=' %}
{%- set above = '>' if inclusive else '>=' %}

select
    {{ column_name }} as out_of_range_value,
    count(*) as occurrences
from {{ model }}
where {{ column_name }} is not null
    and (
        false
        {%- if min_value is not none %}
        or {{ column_name }} {{ below }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or {{ column_name }} {{ above }} {{ max_value }}
        {%- endif %}
    )
group by {{ column_name }}

{% endtest %}
