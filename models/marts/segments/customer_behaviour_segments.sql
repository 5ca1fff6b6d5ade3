{#-
    One row per customer and behaviour segment the customer belongs to (a
    customer may be in several or none), with the number behind the
    membership: metric_name / metric_value compared (>=) with threshold,
    basis_count (the sessions or orders the metric is measured over, itself
    at least a minimum) and a readable reason. Thresholds are vars
    (dbt_project.yml, docs/segments.md); descriptions come from the seed
    behaviour_segments.

    Each segment is one select below over int_customer_behaviour_metrics,
    which holds the counts and the shares (named columns); the memberships
    are those selects unioned.
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
with metrics as (

    select * from {{ ref('int_customer_behaviour_metrics') }}

),

segments as (

    select * from {{ ref('behaviour_segments') }}

),

browser_never_buys as (

    select
        customer_id,
        as_of_date,
        'browser_never_buys' as behaviour_segment,
        'session_count' as metric_name,
        cast(session_count as double) as metric_value,
        cast({{ browser_min_sessions }} as double) as threshold,
        session_count as basis_count,
        {{ dbt.concat([
            "cast(session_count as " ~ string ~ ")",
            "' sessions and no order (threshold: at least " ~ browser_min_sessions ~ " sessions without an order)'"
        ]) }} as reason
    from metrics
    where
        order_count = 0
        and session_count >= {{ browser_min_sessions }}

),

cart_abandoner as (

    select
        customer_id,
        as_of_date,
        'cart_abandoner' as behaviour_segment,
        'cart_abandonment_rate' as metric_name,
        cart_abandonment_rate as metric_value,
        cast({{ cart_min_rate }} as double) as threshold,
        cart_session_count as basis_count,
        {{ dbt.concat([
            "'Left without ordering in '",
            "cast(abandoned_cart_session_count as " ~ string ~ ")",
            "' of '",
            "cast(cart_session_count as " ~ string ~ ")",
            "' sessions with an add-to-cart ('",
            percent_text('abandoned_cart_session_count', 'cart_session_count'),
            "'; threshold: at least " ~ percent_var_text('behaviour_cart_abandoner_min_rate') ~ " of at least " ~ cart_min_sessions ~ " such sessions)'"
        ]) }} as reason
    from metrics
    where
        cart_session_count >= {{ cart_min_sessions }}
        and cart_abandonment_rate >= {{ cart_min_rate }}

),

searcher as (

    select
        customer_id,
        as_of_date,
        'searcher' as behaviour_segment,
        'search_session_share' as metric_name,
        search_session_share as metric_value,
        cast({{ searcher_min_share }} as double) as threshold,
        session_count as basis_count,
        {{ dbt.concat([
            "'Searched in '",
            "cast(search_session_count as " ~ string ~ ")",
            "' of '",
            "cast(session_count as " ~ string ~ ")",
            "' sessions ('",
            percent_text('search_session_count', 'session_count'),
            "'; threshold: at least " ~ percent_var_text('behaviour_searcher_min_share') ~ " of at least " ~ searcher_min_sessions ~ " sessions)'"
        ]) }} as reason
    from metrics
    where
        session_count >= {{ searcher_min_sessions }}
        and search_session_share >= {{ searcher_min_share }}

),

deal_seeker as (

    select
        customer_id,
        as_of_date,
        'deal_seeker' as behaviour_segment,
        'discounted_order_share' as metric_name,
        discounted_order_share as metric_value,
        cast({{ deal_min_share }} as double) as threshold,
        order_count as basis_count,
        {{ dbt.concat([
            "cast(discounted_order_count as " ~ string ~ ")",
            "' of '",
            "cast(order_count as " ~ string ~ ")",
            "' orders had a discount ('",
            percent_text('discounted_order_count', 'order_count'),
            "'; threshold: at least " ~ percent_var_text('behaviour_deal_seeker_min_share') ~ " of at least " ~ deal_min_orders ~ " orders)'"
        ]) }} as reason
    from metrics
    where
        order_count >= {{ deal_min_orders }}
        and discounted_order_share >= {{ deal_min_share }}

),

category_loyalist as (

    select
        customer_id,
        as_of_date,
        'category_loyalist' as behaviour_segment,
        'top_category_order_share' as metric_name,
        top_category_order_share as metric_value,
        cast({{ loyalist_min_share }} as double) as threshold,
        categorised_order_count as basis_count,
        {{ dbt.concat([
            "cast(top_category_order_count as " ~ string ~ ")",
            "' of '",
            "cast(categorised_order_count as " ~ string ~ ")",
            "' orders contained '",
            "top_category",
            "' ('",
            percent_text('top_category_order_count', 'categorised_order_count'),
            "'; threshold: at least " ~ percent_var_text('behaviour_category_loyalist_min_share') ~ " of at least " ~ loyalist_min_orders ~ " orders)'"
        ]) }} as reason
    from metrics
    where
        categorised_order_count >= {{ loyalist_min_orders }}
        and top_category is not null
        and top_category_order_share >= {{ loyalist_min_share }}

),

heavy_returner as (

    select
        customer_id,
        as_of_date,
        'heavy_returner' as behaviour_segment,
        'return_rate_by_value' as metric_name,
        return_rate_by_value as metric_value,
        cast({{ returner_min_rate }} as double) as threshold,
        order_count as basis_count,
        {{ dbt.concat([
            "'Returned '",
            percent_text('returned_revenue_cents', 'gross_revenue_cents'),
            "' of the value bought in '",
            "cast(order_count as " ~ string ~ ")",
            "' orders (threshold: at least " ~ percent_var_text('behaviour_heavy_returner_min_return_rate') ~ " over at least " ~ returner_min_orders ~ " orders)'"
        ]) }} as reason
    from metrics
    where
        order_count >= {{ returner_min_orders }}
        and return_rate_by_value >= {{ returner_min_rate }}

),

one_channel_shopper as (

    select
        customer_id,
        as_of_date,
        'one_channel_shopper' as behaviour_segment,
        'top_device_order_share' as metric_name,
        top_device_order_share as metric_value,
        cast({{ channel_min_share }} as double) as threshold,
        device_known_order_count as basis_count,
        {{ dbt.concat([
            "cast(top_device_order_count as " ~ string ~ ")",
            "' of '",
            "cast(device_known_order_count as " ~ string ~ ")",
            "' orders with a known device were placed on '",
            "top_device",
            "' ('",
            percent_text('top_device_order_count', 'device_known_order_count'),
            "'; threshold: at least " ~ percent_var_text('behaviour_one_channel_min_share') ~ " of at least " ~ channel_min_orders ~ " orders)'"
        ]) }} as reason
    from metrics
    where
        device_known_order_count >= {{ channel_min_orders }}
        and top_device is not null
        and top_device_order_share >= {{ channel_min_share }}

),

memberships as (

    select
        customer_id,
        as_of_date,
        behaviour_segment,
        metric_name,
        metric_value,
        threshold,
        basis_count,
        reason
    from browser_never_buys
    union all
    select
        customer_id,
        as_of_date,
        behaviour_segment,
        metric_name,
        metric_value,
        threshold,
        basis_count,
        reason
    from cart_abandoner
    union all
    select
        customer_id,
        as_of_date,
        behaviour_segment,
        metric_name,
        metric_value,
        threshold,
        basis_count,
        reason
    from searcher
    union all
    select
        customer_id,
        as_of_date,
        behaviour_segment,
        metric_name,
        metric_value,
        threshold,
        basis_count,
        reason
    from deal_seeker
    union all
    select
        customer_id,
        as_of_date,
        behaviour_segment,
        metric_name,
        metric_value,
        threshold,
        basis_count,
        reason
    from category_loyalist
    union all
    select
        customer_id,
        as_of_date,
        behaviour_segment,
        metric_name,
        metric_value,
        threshold,
        basis_count,
        reason
    from heavy_returner
    union all
    select
        customer_id,
        as_of_date,
        behaviour_segment,
        metric_name,
        metric_value,
        threshold,
        basis_count,
        reason
    from one_channel_shopper

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
