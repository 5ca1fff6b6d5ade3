{#-
    Segment history: each customer's RFM segment and lifecycle stage per
    as-of date (the build date), one row per customer of customer_lifecycle
    and as-of date.

    Incremental, append only, keyed by as_of_date: a build appends the rows
    of its as-of date unless that date is already stored, in which case it
    appends nothing (idempotent: building twice for the same as-of date does
    not duplicate or change rows; the first build of a date wins). Plain
    append needs no merge or delete, so it works the same on DuckDB and on
    Spark with Parquet tables. To rebuild one date, delete its rows first.
    `dbt build --full-refresh` starts the history over (from this build's
    as-of date only); a run onto other data than the warehouse was built
    from stops before, unless it is a full refresh (macro
    check_warehouse_identity). See docs/segments.md.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
) }}

with lifecycle as (

    select * from {{ ref('int_customer_lifecycle') }}

),

rfm as (

    select * from {{ ref('int_customer_rfm') }}

),

snapshot_rows as (

    select
        lifecycle.as_of_date,
        lifecycle.customer_id,
        lifecycle.customer_key,
        lifecycle.lifecycle_stage,
        lifecycle.stage_entered_date,
        rfm.rfm_code,
        rfm.segment_name as rfm_segment_name
    from lifecycle
    left join rfm
        on lifecycle.customer_id = rfm.customer_id

),

stored_dates as (

    {#- The as-of dates already in the table (none on the first build). #}
    {% if is_incremental() %}
        select distinct as_of_date from {{ this }}
    {% else %}
        select cast(null as date) as as_of_date
    {% endif %}

),

new_rows as (

    {#- Skip an as-of date that is already stored: append only new dates. #}
    select
        snapshot_rows.as_of_date,
        snapshot_rows.customer_id,
        snapshot_rows.customer_key,
        snapshot_rows.lifecycle_stage,
        snapshot_rows.stage_entered_date,
        snapshot_rows.rfm_code,
        snapshot_rows.rfm_segment_name
    from snapshot_rows
    left join stored_dates
        on snapshot_rows.as_of_date = stored_dates.as_of_date
    where stored_dates.as_of_date is null

),

final as (

    select
        cast(
            {{ dbt.concat(['customer_id', "'|'", 'cast(as_of_date as ' ~ dbt.type_string() ~ ')']) }}
            as {{ dbt.type_string() }}
        ) as segment_history_id,
        cast(as_of_date as date) as as_of_date,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(customer_key as {{ dbt.type_string() }}) as customer_key,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(stage_entered_date as date) as stage_entered_date,
        cast(rfm_code as {{ dbt.type_string() }}) as rfm_code,
        cast(rfm_segment_name as {{ dbt.type_string() }}) as rfm_segment_name,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as recorded_at
    from new_rows

)

select * from final
