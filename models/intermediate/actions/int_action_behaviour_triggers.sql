{#-
    The behaviour triggers of the marketing actions (issue #14, point 4): one
    row per person and occasion a visitor's or customer's recent behaviour
    calls for an action, from the funnel, search, product-view and score
    models. "Now" is the end of the as-of date in shop time; a trigger counts
    when it happened in the window of its var before now:

      abandoned_cart_reminder  an abandoned cart (int_carts.is_abandoned) the
                               person has not bought since (bought_later_at
                               null), last active in the last
                               action_cart_max_age_days days; occasion: the
                               cart; content: its products, highest line
                               value first; trigger_value: the cart value
                               (of two open carts the outbox log decides the
                               more valuable one first)
      search_offer             a phrase searched in the last
                               action_behaviour_max_age_days days without
                               buying a matching product, with at least one
                               matching product the person never bought
                               (before or after the search); occasion: the
                               phrase; content: its best matches
                               (match_rank) the person never bought
      repeated_view_offer      a product viewed repeatedly (is_repeated_view)
                               and never bought by the person (before or
                               after the views), last viewed in the last
                               action_behaviour_max_age_days days; occasion:
                               the product; content: that product
      high_score_alert         a score that crossed a threshold firing an
                               action at this scoring run
                               (int_visitor_scores.is_threshold_crossed and
                               fired_action); occasion: score, band and as-of
                               date; content label: what the band's offer
                               is for ('an offer for a visitor who behaves
                               like a buyer' / 'like a big spender')

    Whether the action fits the person, the channel, the guards and the
    decision are in int_action_candidates and int_action_outbox_log.
-#}
{%- set cart_days = numeric_var('action_cart_max_age_days', minimum=0, integer=true) -%}
{%- set behaviour_days = numeric_var('action_behaviour_max_age_days', minimum=0, integer=true) -%}
{%- set max_products = numeric_var('action_content_max_products', minimum=1, integer=true) | int -%}
with carts as (

    select * from {{ ref('int_carts') }}

),

cart_items as (

    select * from {{ ref('int_cart_items') }}

),

visitor_searches as (

    select * from {{ ref('int_visitor_searches') }}

),

search_phrase_products as (

    select * from {{ ref('int_search_phrase_products') }}

),

visitor_product_views as (

    select * from {{ ref('int_visitor_product_views') }}

),

visitor_scores as (

    select * from {{ ref('int_visitor_scores') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

person_order_items as (

    select * from {{ ref('int_person_order_items') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

activation_now as (

    {#- now: the end of the as-of date in shop time, as a UTC instant -#}
    select
        as_of_date,
        {{ from_shop_time('cast(' ~ dbt.dateadd('day', 1, 'as_of_date') ~ ' as timestamp)') }} as now_at
    from as_of

),

windows as (

    select
        as_of_date,
        now_at,
        {{ dbt.dateadd('day', '-' ~ cart_days, 'now_at') }} as cart_since_at,
        {{ dbt.dateadd('day', '-' ~ behaviour_days, 'now_at') }} as behaviour_since_at
    from activation_now

),

bought_products as (

    {#- what each person bought (non-cancelled orders) before now: never offered again -#}
    select distinct
        person_order_items.person_id,
        person_order_items.product_id
    from person_order_items
    cross join windows
    where person_order_items.ordered_at < windows.now_at
        and person_order_items.person_id is not null

),

open_carts as (

    select
        carts.cart_id,
        carts.person_id,
        carts.abandoned_stage,
        carts.item_count,
        carts.cart_value,
        carts.cart_last_activity_at
    from carts
    cross join windows
    where carts.is_abandoned
        and carts.bought_later_at is null
        and carts.person_id is not null
        and carts.cart_last_activity_at >= windows.cart_since_at
        and carts.cart_last_activity_at < windows.now_at

),

ranked_cart_items as (

    select
        cart_items.cart_id,
        cart_items.product_id,
        coalesce(cart_items.product_name, cart_items.product_id) as product_name,
        row_number() over (
            partition by cart_items.cart_id
            order by cart_items.line_value desc nulls last, cart_items.product_id asc
        ) as item_rank
    from cart_items
    inner join open_carts
        on cart_items.cart_id = open_carts.cart_id

),

cart_contents as (

    select
        cart_id,
        {{ top_values_list('product_id', 'item_rank', max_products, '|') }} as content_product_ids,
        {{ top_values_list('product_name', 'item_rank', max_products, '|') }} as content_product_names
    from ranked_cart_items
    group by cart_id

),

cart_triggers as (

    select
        'abandoned_cart_reminder' as action_type,
        open_carts.person_id,
        {{ dbt.concat(["'cart:'", 'open_carts.cart_id']) }} as occasion_key,
        open_carts.cart_last_activity_at as trigger_at,
        {{ dbt.concat([
            "'Cart left at the '", 'open_carts.abandoned_stage', "' stage on '",
            'cast(' ~ shop_date('open_carts.cart_last_activity_at') ~ ' as ' ~ dbt.type_string() ~ ')',
            "': '", count_noun('open_carts.item_count', 'item', 'items'), "' worth '",
            'cast(open_carts.cart_value as ' ~ dbt.type_string() ~ ')', "' " ~ var('shop_currency') ~ ", not bought since'"]) }}
            as reason,
        'the abandoned cart' as content_label,
        cart_contents.content_product_ids,
        cart_contents.content_product_names,
        open_carts.cart_value as trigger_value
    from open_carts
    left join cart_contents
        on open_carts.cart_id = cart_contents.cart_id

),

recent_searches as (

    select
        visitor_searches.person_id,
        visitor_searches.search_phrase,
        visitor_searches.search_count,
        visitor_searches.last_searched_at
    from visitor_searches
    cross join windows
    where not coalesce(visitor_searches.bought_matching_product, false)
        and visitor_searches.person_id is not null
        and visitor_searches.last_searched_at >= windows.behaviour_since_at
        and visitor_searches.last_searched_at < windows.now_at

),

unbought_search_products as (

    {#- the phrase's matching products the person never bought -#}
    select
        recent_searches.person_id,
        recent_searches.search_phrase,
        search_phrase_products.product_id,
        search_phrase_products.match_rank
    from recent_searches
    inner join search_phrase_products
        on recent_searches.search_phrase = search_phrase_products.search_phrase
    left join bought_products
        on recent_searches.person_id = bought_products.person_id
            and search_phrase_products.product_id = bought_products.product_id
    where bought_products.product_id is null

),

ranked_search_products as (

    select
        unbought_search_products.person_id,
        unbought_search_products.search_phrase,
        unbought_search_products.product_id,
        coalesce(products.product_name, unbought_search_products.product_id) as product_name,
        row_number() over (
            partition by unbought_search_products.person_id, unbought_search_products.search_phrase
            order by unbought_search_products.match_rank asc nulls last, unbought_search_products.product_id asc
        ) as product_rank
    from unbought_search_products
    left join products
        on unbought_search_products.product_id = products.product_id

),

search_contents as (

    select
        person_id,
        search_phrase,
        {{ top_values_list('product_id', 'product_rank', max_products, '|') }} as content_product_ids,
        {{ top_values_list('product_name', 'product_rank', max_products, '|') }} as content_product_names
    from ranked_search_products
    group by person_id, search_phrase

),

search_triggers as (

    select
        'search_offer' as action_type,
        recent_searches.person_id,
        {{ dbt.concat(["'search:'", 'recent_searches.search_phrase']) }} as occasion_key,
        recent_searches.last_searched_at as trigger_at,
        {{ dbt.concat([
            "'Searched the phrase '", 'recent_searches.search_phrase', "' '",
            count_noun('recent_searches.search_count', 'time', 'times'), "', last on '",
            'cast(' ~ shop_date('recent_searches.last_searched_at') ~ ' as ' ~ dbt.type_string() ~ ')',
            "', and bought no matching product'"]) }} as reason,
        'products matching the search' as content_label,
        search_contents.content_product_ids,
        search_contents.content_product_names,
        cast(null as {{ dbt.type_float() }}) as trigger_value
    from recent_searches
    inner join search_contents
        on recent_searches.person_id = search_contents.person_id
            and recent_searches.search_phrase = search_contents.search_phrase

),

view_triggers as (

    select
        'repeated_view_offer' as action_type,
        visitor_product_views.person_id,
        {{ dbt.concat(["'product:'", 'visitor_product_views.product_id']) }} as occasion_key,
        visitor_product_views.last_viewed_at as trigger_at,
        {{ dbt.concat([
            "'Viewed '", 'coalesce(products.product_name, visitor_product_views.product_id)', "' '",
            count_noun('visitor_product_views.view_count', 'time', 'times'), "' in '",
            count_noun('visitor_product_views.session_count', 'session', 'sessions'),
            "', last on '",
            'cast(' ~ shop_date('visitor_product_views.last_viewed_at') ~ ' as ' ~ dbt.type_string() ~ ')',
            "', without buying it'"]) }} as reason,
        'the product viewed repeatedly' as content_label,
        visitor_product_views.product_id as content_product_ids,
        coalesce(products.product_name, visitor_product_views.product_id) as content_product_names,
        cast(null as {{ dbt.type_float() }}) as trigger_value
    from visitor_product_views
    cross join windows
    left join products
        on visitor_product_views.product_id = products.product_id
    left join bought_products
        on visitor_product_views.person_id = bought_products.person_id
            and visitor_product_views.product_id = bought_products.product_id
    where visitor_product_views.is_repeated_view
        and not coalesce(visitor_product_views.is_bought_after_view, false)
        and bought_products.product_id is null
        and visitor_product_views.person_id is not null
        and visitor_product_views.last_viewed_at >= windows.behaviour_since_at
        and visitor_product_views.last_viewed_at < windows.now_at

),

score_triggers as (

    select
        'high_score_alert' as action_type,
        visitor_scores.person_id,
        {{ dbt.concat([
            "'score:'", 'visitor_scores.score_name', "':'", 'visitor_scores.score_band', "':'",
            'cast(windows.as_of_date as ' ~ dbt.type_string() ~ ')']) }} as occasion_key,
        visitor_scores.as_of_at as trigger_at,
        {{ dbt.concat([
            "'Score '", 'visitor_scores.score_name', "' '", 'cast(visitor_scores.score as ' ~ dbt.type_string() ~ ')',
            "' crossed into band '", 'visitor_scores.score_band', "' (previous score '",
            "coalesce(cast(visitor_scores.previous_score as " ~ dbt.type_string() ~ "), 'none')", "'): '",
            "coalesce(visitor_scores.explanation, '')"]) }} as reason,
        case visitor_scores.score_name
            when 'buyer' then 'an offer for a visitor who behaves like a buyer'
            when 'big_spender' then 'an offer for a visitor who behaves like a big spender'
            else {{ dbt.concat(["'an offer for a high '", 'visitor_scores.score_name', "' score'"]) }}
        end as content_label,
        cast(null as {{ dbt.type_string() }}) as content_product_ids,
        cast(null as {{ dbt.type_string() }}) as content_product_names,
        cast(visitor_scores.score as {{ dbt.type_float() }}) as trigger_value
    from visitor_scores
    cross join windows
    where visitor_scores.is_threshold_crossed
        and visitor_scores.fired_action is not null
        and visitor_scores.person_id is not null

),

triggers as (

    select * from cart_triggers
    union all
    select * from search_triggers
    union all
    select * from view_triggers
    union all
    select * from score_triggers

),

final as (

    select
        cast(
            {{ dbt.concat(['action_type', "'|'", 'person_id', "'|'", 'occasion_key']) }} as {{ dbt.type_string() }}
        ) as trigger_id,
        cast(action_type as {{ dbt.type_string() }}) as action_type,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(occasion_key as {{ dbt.type_string() }}) as occasion_key,
        cast(trigger_at as timestamp) as trigger_at,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(content_label as {{ dbt.type_string() }}) as content_label,
        cast(content_product_ids as {{ dbt.type_string() }}) as content_product_ids,
        cast(content_product_names as {{ dbt.type_string() }}) as content_product_names,
        cast(trigger_value as {{ dbt.type_float() }}) as trigger_value
    from triggers

)

select * from final
