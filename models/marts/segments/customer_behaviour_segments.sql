{#-
    One row per customer and behaviour segment the customer belongs to (a
    customer may be in several or none), with the number behind the
    membership: metric_name / metric_value compared (>=) with threshold,
    basis_count (the sessions or orders the metric is measured over, itself
    at least a minimum) and a readable reason. Thresholds are vars
    (dbt_project.yml, docs/segments.md); descriptions come from the seed
    behaviour_segments.

    Each segment is one entry of `definitions` below: its metric (SQL over
    int_customer_behaviour_metrics), threshold, basis count, the parts of
    its reason text and the condition of membership. The memberships are
    one select per entry, unioned.
-#}
{%- set browser_min_sessions = numeric_var('behaviour_browser_min_sessions', minimum=1, integer=true) -%}
{%- set cart_min_sessions = numeric_var('behaviour_cart_abandoner_min_cart_sessions', minimum=1, integer=true) -%}
{%- set cart_min_rate = numeric_var('behaviour_cart_abandoner_min_rate', minimum=0) -%}
{%- set searcher_min_sessions = numeric_var('behaviour_searcher_min_sessions', minimum=1, integer=true) -%}
{%- set searcher_min_share = numeric_var('behaviour_searcher_min_share', minimum=0) -%}
{%- set deal_min_orders = numeric_var('behaviour_deal_seeker_min_orders', minimum=1, integer=true) -%}
{%- set deal_min_share = numeric_var('behaviour_deal_seeker_min_share', minimum=0) -%}
{%- set loyalist_min_orders = numeric_var('behaviour_category_loyalist_min_orders', minimum=1, integer=true) -%}
{%- set loyalist_min_share = numeric_var('behaviour_category_loyalist_min_share', minimum=0) -%}
{%- set returner_min_orders = numeric_var('behaviour_heavy_returner_min_orders', minimum=1, integer=true) -%}
{%- set returner_min_rate = numeric_var('behaviour_heavy_returner_min_return_rate', minimum=0) -%}
{%- set channel_min_orders = numeric_var('behaviour_one_channel_min_orders', minimum=1, integer=true) -%}
{%- set channel_min_share = numeric_var('behaviour_one_channel_min_share', minimum=0) -%}
{%- set string = dbt.type_string() -%}
{%- set definitions = [
    {'segment': 'browser_never_buys',
     'metric_name': 'session_count',
     'metric_value': 'cast(session_count as double)',
     'threshold': browser_min_sessions,
     'basis_count': 'session_count',
     'reason': [
        "cast(session_count as " ~ string ~ ")",
        "' sessions and no order (threshold: at least " ~ browser_min_sessions ~ " sessions without an order)'"],
     'condition': 'order_count = 0 and session_count >= ' ~ browser_min_sessions},
    {'segment': 'cart_abandoner',
     'metric_name': 'cart_abandonment_rate',
     'metric_value': share('abandoned_cart_session_count', 'cart_session_count'),
     'threshold': cart_min_rate,
     'basis_count': 'cart_session_count',
     'reason': [
        "'Left without ordering in '",
        "cast(abandoned_cart_session_count as " ~ string ~ ")",
        "' of '",
        "cast(cart_session_count as " ~ string ~ ")",
        "' sessions with an add-to-cart ('",
        percent_text('abandoned_cart_session_count', 'cart_session_count'),
        "'; threshold: at least " ~ percent_var_text('behaviour_cart_abandoner_min_rate')
            ~ " of at least " ~ cart_min_sessions ~ " such sessions)'"],
     'condition': 'cart_session_count >= ' ~ cart_min_sessions ~ ' and '
        ~ share('abandoned_cart_session_count', 'cart_session_count') ~ ' >= ' ~ cart_min_rate},
    {'segment': 'searcher',
     'metric_name': 'search_session_share',
     'metric_value': share('search_session_count', 'session_count'),
     'threshold': searcher_min_share,
     'basis_count': 'session_count',
     'reason': [
        "'Searched in '",
        "cast(search_session_count as " ~ string ~ ")",
        "' of '",
        "cast(session_count as " ~ string ~ ")",
        "' sessions ('",
        percent_text('search_session_count', 'session_count'),
        "'; threshold: at least " ~ percent_var_text('behaviour_searcher_min_share')
            ~ " of at least " ~ searcher_min_sessions ~ " sessions)'"],
     'condition': 'session_count >= ' ~ searcher_min_sessions ~ ' and '
        ~ share('search_session_count', 'session_count') ~ ' >= ' ~ searcher_min_share},
    {'segment': 'deal_seeker',
     'metric_name': 'discounted_order_share',
     'metric_value': share('discounted_order_count', 'order_count'),
     'threshold': deal_min_share,
     'basis_count': 'order_count',
     'reason': [
        "cast(discounted_order_count as " ~ string ~ ")",
        "' of '",
        "cast(order_count as " ~ string ~ ")",
        "' orders had a discount ('",
        percent_text('discounted_order_count', 'order_count'),
        "'; threshold: at least " ~ percent_var_text('behaviour_deal_seeker_min_share')
            ~ " of at least " ~ deal_min_orders ~ " orders)'"],
     'condition': 'order_count >= ' ~ deal_min_orders ~ ' and '
        ~ share('discounted_order_count', 'order_count') ~ ' >= ' ~ deal_min_share},
    {'segment': 'category_loyalist',
     'metric_name': 'top_category_order_share',
     'metric_value': share('top_category_order_count', 'categorised_order_count'),
     'threshold': loyalist_min_share,
     'basis_count': 'categorised_order_count',
     'reason': [
        "cast(top_category_order_count as " ~ string ~ ")",
        "' of '",
        "cast(categorised_order_count as " ~ string ~ ")",
        "' orders contained '",
        "top_category",
        "' ('",
        percent_text('top_category_order_count', 'categorised_order_count'),
        "'; threshold: at least " ~ percent_var_text('behaviour_category_loyalist_min_share')
            ~ " of at least " ~ loyalist_min_orders ~ " orders)'"],
     'condition': 'categorised_order_count >= ' ~ loyalist_min_orders ~ ' and top_category is not null and '
        ~ share('top_category_order_count', 'categorised_order_count') ~ ' >= ' ~ loyalist_min_share},
    {'segment': 'heavy_returner',
     'metric_name': 'return_rate_by_value',
     'metric_value': share('returned_revenue_cents', 'gross_revenue_cents'),
     'threshold': returner_min_rate,
     'basis_count': 'order_count',
     'reason': [
        "'Returned '",
        percent_text('returned_revenue_cents', 'gross_revenue_cents'),
        "' of the value bought in '",
        "cast(order_count as " ~ string ~ ")",
        "' orders (threshold: at least " ~ percent_var_text('behaviour_heavy_returner_min_return_rate')
            ~ " over at least " ~ returner_min_orders ~ " orders)'"],
     'condition': 'order_count >= ' ~ returner_min_orders ~ ' and '
        ~ share('returned_revenue_cents', 'gross_revenue_cents') ~ ' >= ' ~ returner_min_rate},
    {'segment': 'one_channel_shopper',
     'metric_name': 'top_device_order_share',
     'metric_value': share('top_device_order_count', 'device_known_order_count'),
     'threshold': channel_min_share,
     'basis_count': 'device_known_order_count',
     'reason': [
        "cast(top_device_order_count as " ~ string ~ ")",
        "' of '",
        "cast(device_known_order_count as " ~ string ~ ")",
        "' orders with a known device were placed on '",
        "top_device",
        "' ('",
        percent_text('top_device_order_count', 'device_known_order_count'),
        "'; threshold: at least " ~ percent_var_text('behaviour_one_channel_min_share')
            ~ " of at least " ~ channel_min_orders ~ " orders)'"],
     'condition': 'device_known_order_count >= ' ~ channel_min_orders ~ ' and top_device is not null and '
        ~ share('top_device_order_count', 'device_known_order_count') ~ ' >= ' ~ channel_min_share},
] -%}
with metrics as (

    select * from {{ ref('int_customer_behaviour_metrics') }}

),

segments as (

    select * from {{ ref('behaviour_segments') }}

),

memberships as (

    {%- for definition in definitions %}

        select
            customer_id,
            as_of_date,
            '{{ definition.segment }}' as behaviour_segment,
            '{{ definition.metric_name }}' as metric_name,
            {{ definition.metric_value }} as metric_value,
            cast({{ definition.threshold }} as double) as threshold,
            {{ definition.basis_count }} as basis_count,
            {{ dbt.concat(definition.reason) }} as reason
        from metrics
        where {{ definition.condition }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

final as (

    select
        cast({{ dbt.concat(['memberships.customer_id', "'|'", 'memberships.behaviour_segment']) }} as {{ string }})
            as behaviour_membership_id,
        cast(memberships.customer_id as {{ string }}) as customer_id,
        cast({{ pseudonymous_key('memberships.customer_id') }} as {{ string }}) as customer_key,
        cast(memberships.as_of_date as date) as as_of_date,
        cast(memberships.behaviour_segment as {{ string }}) as behaviour_segment,
        cast(segments.segment_order as {{ dbt.type_int() }}) as segment_order,
        cast(segments.segment_description as {{ string }}) as segment_description,
        cast(memberships.metric_name as {{ string }}) as metric_name,
        cast(memberships.metric_value as double) as metric_value,
        cast('>=' as {{ string }}) as comparison,
        cast(memberships.threshold as double) as threshold,
        cast(memberships.basis_count as {{ dbt.type_bigint() }}) as basis_count,
        cast(memberships.reason as {{ string }}) as reason,
        cast(segments.recommended_action as {{ string }}) as recommended_action
    from memberships
    left join segments
        on memberships.behaviour_segment = segments.behaviour_segment

)

select * from final
