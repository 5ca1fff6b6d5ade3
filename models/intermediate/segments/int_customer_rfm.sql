with metrics as (

    select * from {{ ref('int_customer_rfm_metrics') }}

),

scores as (

    select * from {{ ref('int_customer_rfm_scores') }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

segments as (

    select * from {{ ref('rfm_segments') }}

),

final as (

    select
        cast(metrics.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast({{ pseudonymous_key('metrics.customer_id') }} as {{ dbt.type_string() }}) as customer_key,
        cast(metrics.as_of_date as date) as as_of_date,
        cast(metrics.last_order_date as date) as last_order_date,
        cast(metrics.recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(metrics.frequency as {{ dbt.type_int() }}) as frequency,
        cast(metrics.monetary as decimal(38, 2)) as monetary,
        cast(scores.r_score as {{ dbt.type_int() }}) as r_score,
        cast(scores.f_score as {{ dbt.type_int() }}) as f_score,
        cast(scores.m_score as {{ dbt.type_int() }}) as m_score,
        cast(scores.rfm_code as {{ dbt.type_string() }}) as rfm_code,
        cast(segment_map.segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(segments.segment_order as {{ dbt.type_int() }}) as segment_order,
        cast(segments.recommended_action as {{ dbt.type_string() }}) as recommended_action
    from metrics
    inner join scores
        on metrics.customer_id = scores.customer_id
    left join segment_map
        on scores.rfm_code = segment_map.rfm_code
    left join segments
        on segment_map.segment_name = segments.segment_name

)

select * from final
