{#-
    One row per session (from the sessions file, from events, or named by an
    order), with the customer it belongs to after identity stitching.

    Identity stitching:
    1. A session's own customer (identified_customer_id) is, in this order:
       sessions.customer_id; else the customer on the session's events (the
       smallest customer_id if they carry several); else the customer of the
       earliest order placed in the session (orders.session_id or the order's
       purchase event) that has a customer (a guest order identifies no one).
    2. A visitor (visitor_id) belongs to the customer who identified it first:
       the earliest of its sessions with an own customer (by started_at) and
       its session-less events with a customer (by event time); tie: smallest
       customer_id. One visitor therefore maps to exactly one customer.
    3. customer_id = the session's own customer, else its visitor's customer.
       So a visitor's anonymous sessions, before and after the login or
       order, all belong to that customer; a session that identified a
       different customer (shared device) keeps its own.

    Incremental on DuckDB (macros/staging/incremental.sql, "Incremental
    identity stitching"): a new batch recomputes only the changed sessions
    and every session of the visitors they (or new identity links) touch;
    _sessions_load_id, _events_load_id and _orders_signature are the
    watermarks and the orders summary that decide what changed (_run_id: the
    run that wrote the row, for the key test); the
    summaries are compared only when the orders changed since the model's
    last build (raw._stitching_orders, post-hook record_stitching_orders).
-#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='session_id',
    pre_hook=[
        "{{ reset_incremental_model('events') }}", "{{ reset_incremental_model('sessions') }}",
        "{{ add_column_if_missing('_run_id', dbt.type_bigint()) }}"],
    post_hook=["{{ delete_vanished_sessions() }}", "{{ record_stitching_orders(ref('int_order_revenue')) }}"]) }}
{#- the orders unchanged since the model's last build: no summary is compared, the scope comes first and
    only the scoped sessions' orders are summarised (stitching_orders_unchanged) -#}
{%- set orders_unchanged = stitching_processes_new_loads_only()
    and stitching_orders_unchanged(ref('int_order_revenue')) %}
with
{%- if orders_unchanged %}
{{ stitching_scope_ctes(ref('stg_shop__sessions'), ref('int_session_activity'), ref('int_event_identity_links'),
    'all_session_orders', orders_unchanged=true) }}
{%- endif %}
orders as (

    select * from {{ ref('int_order_revenue') }}
    where session_id is not null
    {%- if orders_unchanged %}
        and {{ stitching_in_scope('session_id') }}
    {%- endif %}

),

ranked_session_orders as (

    select
        session_id,
        customer_id,
        ordered_at,
        net_revenue,
        row_number() over (
            partition by session_id
            order by case when customer_id is null then 1 else 0 end, ordered_at, order_id
        ) as order_rank
    from orders

),

aggregated_session_orders as (

    select
        session_id,
        count(*) as order_count,
        sum(net_revenue) as net_revenue,
        min(ordered_at) as first_ordered_at,
        max(case when order_rank = 1 then customer_id end) as order_customer_id
    from ranked_session_orders
    group by session_id

),

all_session_orders as (

    select
        aggregated_session_orders.*,
        {#- one 64-bit hash of the typed values (no text of them, no md5): what changed is compared, not read back #}
        {{ raw_key_hash(['order_count', 'net_revenue', 'first_ordered_at', 'order_customer_id']) }}
            as orders_signature
    from aggregated_session_orders

),

{%- if not orders_unchanged %}
{{ stitching_scope_ctes(ref('stg_shop__sessions'), ref('int_session_activity'), ref('int_event_identity_links'),
    'all_session_orders') }}
{%- endif %}

sessions as (

    select * from {{ ref('stg_shop__sessions') }}
    where {{ stitching_in_scope('session_id') }}

),

session_activity as (

    select * from {{ ref('int_session_activity') }}
    where {{ stitching_in_scope('session_id') }}

),

session_orders as (

    select * from all_session_orders
    where {{ stitching_in_scope('session_id') }}

),

visitor_links as (

    select * from {{ ref('int_event_identity_links') }}
    where
        link_type = 'visitor_customer'
        and {{ stitching_in_scope('visitor_id', 'scope_visitors') }}

),

joined as (

    select
        coalesce(sessions.session_id, session_activity.session_id, session_orders.session_id) as session_id,
        sessions.session_id is not null as is_recorded_session,
        coalesce(sessions.visitor_id, session_activity.event_visitor_id) as visitor_id,
        coalesce(sessions.started_at, session_activity.first_event_at, session_orders.first_ordered_at) as started_at,
        session_activity.last_event_at,
        sessions.traffic_source,
        sessions.campaign,
        sessions.device,
        coalesce(sessions.customer_id, session_activity.event_customer_id, session_orders.order_customer_id)
            as identified_customer_id,
        case
            when sessions.customer_id is not null then 'session'
            when session_activity.event_customer_id is not null then 'event'
            when session_orders.order_customer_id is not null then 'order'
        end as identified_by,
        coalesce(session_activity.event_count, 0) as event_count,
        coalesce(session_activity.page_view_count, 0) as page_view_count,
        coalesce(session_activity.product_view_count, 0) as product_view_count,
        coalesce(session_activity.search_count, 0) as search_count,
        coalesce(session_activity.cart_add_count, 0) as cart_add_count,
        session_activity.max_checkout_step,
        coalesce(session_activity.has_purchase_event, false) as has_purchase_event,
        coalesce(session_orders.order_count, 0) as order_count,
        coalesce(session_orders.net_revenue, 0) as net_revenue,
        sessions._load_id as sessions_load_id,
        session_activity._load_id as events_load_id,
        session_orders.orders_signature
    {#- Full outer joins: every session of any of the three sources, without
        a separate union of their keys. #}
    from sessions
    full outer join session_activity
        on sessions.session_id = session_activity.session_id
    full outer join session_orders
        on coalesce(sessions.session_id, session_activity.session_id) = session_orders.session_id
    {#- Read twice below: computed once on Spark too (macro shared_cte_condition). #}
    where true {{ ecommerce_segmentation.shared_cte_condition() }}

),

visitor_identifications as (

    select
        visitor_id,
        identified_customer_id as customer_id,
        started_at as identified_at
    from joined
    where visitor_id is not null
        and identified_customer_id is not null

    union all

    select
        visitor_id,
        customer_id,
        first_seen_at as identified_at
    from visitor_links

),

visitor_customers as (

    select
        visitor_id,
        customer_id,
        row_number() over (partition by visitor_id order by identified_at, customer_id) as identification_rank
    from visitor_identifications

),

stitched as (

    select
        joined.session_id,
        joined.visitor_id,
        coalesce(joined.identified_customer_id, visitor_customers.customer_id) as customer_id,
        joined.identified_customer_id,
        coalesce(joined.identified_by, case when visitor_customers.customer_id is not null then 'visitor' end)
            as identified_by,
        joined.identified_customer_id is null and visitor_customers.customer_id is not null as is_stitched,
        joined.is_recorded_session,
        joined.started_at,
        {{ shop_date('joined.started_at') }} as session_date,
        case
            when joined.last_event_at > joined.started_at then joined.last_event_at
            else joined.started_at
        end as ended_at,
        joined.traffic_source,
        joined.campaign,
        joined.device,
        joined.event_count,
        joined.page_view_count,
        joined.product_view_count,
        joined.search_count,
        joined.cart_add_count,
        {#- A placed order implies the confirmation step (4) was reached. #}
        case
            when joined.order_count > 0 or joined.has_purchase_event then 4
            else coalesce(joined.max_checkout_step, 0)
        end as furthest_checkout_step,
        joined.order_count > 0 or joined.has_purchase_event as is_converted,
        joined.order_count,
        joined.net_revenue,
        joined.sessions_load_id as _sessions_load_id,
        joined.events_load_id as _events_load_id,
        joined.orders_signature as _orders_signature,
        {#- the run that wrote the row (macro run_id): its key test checks the rows written since it last passed #}
        {{ run_id() }} as _run_id
    from joined
    left join visitor_customers
        on joined.visitor_id = visitor_customers.visitor_id
            and visitor_customers.identification_rank = 1

),

final as (

    select * from stitched
    {{- stitching_tombstones('joined', [
        'session_id', 'null', 'null', 'null', 'null', 'false', 'false', 'null', 'null', 'null', 'null', 'null',
        'null', '0', '0', '0', '0', '0', '0', 'false', '0', '0', 'null', 'null', 'null', run_id()]) }}

)

select * from final
