{#-
    A count with its noun in the right number, as text: '1 item', '3 items'.
    count_expr: an integer SQL expression; singular / plural: the nouns.
    Null when the count is null. Both engines (plain SQL).
-#}
{% macro count_noun(count_expr, singular, plural) -%}
    {{ dbt.concat([
        'cast(' ~ count_expr ~ ' as ' ~ dbt.type_string() ~ ')',
        "case when " ~ count_expr ~ " = 1 then ' " ~ singular ~ "' else ' " ~ plural ~ "' end"]) }}
{%- endmacro %}
