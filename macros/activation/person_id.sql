{#
    person_id(customer_id, visitor_id): the person a session or event belongs
    to in the activation models (funnel, carts, searches, scorecard, scores,
    actions): the (stitched) customer id when known, else 'visitor:' and the
    anonymous visitor id; null when both are null. Customer ids and visitor
    ids cannot collide: visitor persons carry the prefix.
#}
{% macro person_id(customer_id, visitor_id) -%}
    coalesce(
        cast({{ customer_id }} as {{ dbt.type_string() }}),
        {{ dbt.concat(["'visitor:'", visitor_id]) }}
    )
{%- endmacro %}
