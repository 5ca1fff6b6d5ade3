{#-
    One row per person (macro person_id: the stitched customer, else the
    anonymous visitor) with sessions: how many sessions, the furthest funnel
    step ever and that of the latest session, and how many sessions reached
    each step (a session reaches step k when its furthest step is k or
    later, so the counts never grow down the funnel). Sessions without a
    visitor or a customer have no person and are not counted here.
    docs/funnel.md.
-#}
with session_funnel as (

    select * from {{ ref('int_session_funnel') }}
    where person_id is not null

),

funnel_steps as (

    select * from {{ ref('funnel_steps') }}

),

ranked_sessions as (

    select
        person_id,
        furthest_step_number,
        left_at_step_name,
        row_number() over (
            partition by person_id
            order by started_at desc, session_id desc
        ) as recency_rank
    from session_funnel

),

latest_sessions as (

    select
        person_id,
        furthest_step_number as latest_session_furthest_step_number,
        left_at_step_name as latest_session_left_at_step_name
    from ranked_sessions
    where recency_rank = 1

),

person_funnel as (

    select
        person_id,
        max(person_type) as person_type,
        max(customer_id) as customer_id,
        count(*) as session_count,
        min(started_at) as first_session_at,
        max(started_at) as latest_session_at,
        -- noqa: disable=LT02
        {%- for step in range(1, 10) %}
        sum(case when furthest_step_number >= {{ step }} then 1 else 0 end) as sessions_reaching_step_{{ step }},
        {%- endfor %}
        -- noqa: enable=LT02
        max(furthest_step_number) as furthest_step_number
    from session_funnel
    group by person_id

),

final as (

    select
        cast({{ pseudonymous_key('person_funnel.person_id') }} as {{ dbt.type_string() }}) as person_key,
        cast(person_funnel.person_type as {{ dbt.type_string() }}) as person_type,
        cast(person_funnel.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(person_funnel.session_count as {{ dbt.type_bigint() }}) as session_count,
        cast(person_funnel.first_session_at as {{ dbt.type_timestamp() }}) as first_session_at,
        cast(person_funnel.latest_session_at as {{ dbt.type_timestamp() }}) as latest_session_at,
        cast(person_funnel.furthest_step_number as {{ dbt.type_int() }}) as furthest_step_number,
        cast(furthest_step.step_name as {{ dbt.type_string() }}) as furthest_step_name,
        cast(latest_sessions.latest_session_furthest_step_number as {{ dbt.type_int() }})
            as latest_session_furthest_step_number,
        cast(latest_step.step_name as {{ dbt.type_string() }}) as latest_session_furthest_step_name,
        -- noqa: disable=LT02
        {%- for step in ['visit', 'category_view', 'product_view', 'add_to_cart', 'checkout_cart',
            'checkout_delivery', 'checkout_payment', 'checkout_confirmation', 'purchase'] %}
        cast(person_funnel.sessions_reaching_step_{{ loop.index }} as {{ dbt.type_bigint() }})
            as sessions_reaching_{{ step }},
        {%- endfor %}
        -- noqa: enable=LT02
        cast(latest_sessions.latest_session_left_at_step_name as {{ dbt.type_string() }})
            as latest_session_left_at_step_name
    from person_funnel
    inner join latest_sessions
        on person_funnel.person_id = latest_sessions.person_id
    left join funnel_steps as furthest_step
        on person_funnel.furthest_step_number = furthest_step.step_number
    left join funnel_steps as latest_step
        on latest_sessions.latest_session_furthest_step_number = latest_step.step_number

)

select * from final
