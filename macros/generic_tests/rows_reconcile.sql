{#
    rows_reconcile: the rows of `model` (a raw relation) equal the rows of
    `staged` plus the rows of `quarantined`. Fails with one row holding the
    three counts when they do not add up: a row was lost or invented.
#}
{% test rows_reconcile(model, staged, quarantined) %}

with counts as (

    select
        (select count(*) from {{ model }}) as raw_rows,
        (select count(*) from {{ staged }}) as staged_rows,
        (select count(*) from {{ quarantined }}) as quarantined_rows

)

select
    raw_rows,
    staged_rows,
    quarantined_rows
from counts
where raw_rows <> staged_rows + quarantined_rows

{% endtest %}
