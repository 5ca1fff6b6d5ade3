{#-
    One row: the as-of date every customer fact and segment is computed at
    (macro as_of_date): var('as_of_date') when set (YYYY-MM-DD), else the
    latest order or event date in the data (int_latest_data_date). Models
    cross join this row; it is the only caller of the macro.
-#}
with latest_data_date as (

    select * from {{ ref('int_latest_data_date') }}

),

final as (

    select
        cast({{ as_of_date('latest_data_date.latest_data_date') }} as date) as as_of_date
    from latest_data_date

)

select * from final
