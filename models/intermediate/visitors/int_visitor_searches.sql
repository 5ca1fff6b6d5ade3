{#-
    One row per person and search phrase: how often and when the person
    searched it (search events up to the end of the as-of date; the phrase
    as normalised in staging), how many products it matches
    (int_search_phrase_products) and whether the person bought a matching
    product after the first search of it (a non-cancelled order at or after
    first_searched_at, up to the end of the as-of date).

    The person of a search (macro person_id): the stitched customer of its
    session, else the event's own customer; else the session's or the event's
    visitor. Per-person aggregates only.
-#}
with search_events as (

    select * from {{ ref('stg_shop__events') }}
    where event_type = 'search'
        and search_query is not null

),

sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

phrase_products as (

    select * from {{ ref('int_search_phrase_products') }}

),

person_order_items as (

    select * from {{ ref('int_person_order_items') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

searches as (

    select
        search_events.search_query as search_phrase,
        search_events.occurred_at,
        coalesce(sessions.customer_id, search_events.customer_id) as customer_id,
        coalesce(sessions.visitor_id, search_events.visitor_id) as visitor_id
    from search_events
    cross join as_of
    left join sessions
        on search_events.session_id = sessions.session_id
    where search_events.event_date <= as_of.as_of_date

),

person_searches as (

    select
        {{ person_id('customer_id', 'visitor_id') }} as person_id,
        search_phrase,
        max(customer_id) as customer_id,
        min(visitor_id) as visitor_id,
        count(*) as search_count,
        min(occurred_at) as first_searched_at,
        max(occurred_at) as last_searched_at
    from searches
    where customer_id is not null
        or visitor_id is not null
    group by {{ person_id('customer_id', 'visitor_id') }}, search_phrase

),

phrase_product_counts as (

    select
        search_phrase,
        count(*) as matching_product_count
    from phrase_products
    group by search_phrase

),

matching_purchases as (

    select
        person_searches.person_id,
        person_searches.search_phrase,
        min(person_order_items.ordered_at) as bought_matching_product_at
    from person_searches
    cross join as_of
    inner join phrase_products
        on person_searches.search_phrase = phrase_products.search_phrase
    inner join person_order_items
        on person_searches.person_id = person_order_items.person_id
            and phrase_products.product_id = person_order_items.product_id
            and person_searches.first_searched_at <= person_order_items.ordered_at
            and as_of.as_of_date >= {{ shop_date('person_order_items.ordered_at') }}
    group by person_searches.person_id, person_searches.search_phrase

),

final as (

    select
        {{ dbt.hash(dbt.concat(['person_searches.person_id', "'|'", 'person_searches.search_phrase'])) }}
            as visitor_search_id,
        person_searches.person_id,
        case when person_searches.customer_id is not null then 'customer' else 'visitor' end as person_type,
        person_searches.customer_id,
        person_searches.visitor_id,
        person_searches.search_phrase,
        cast(person_searches.search_count as {{ dbt.type_bigint() }}) as search_count,
        person_searches.first_searched_at,
        person_searches.last_searched_at,
        cast(coalesce(phrase_product_counts.matching_product_count, 0) as {{ dbt.type_bigint() }})
            as matching_product_count,
        matching_purchases.bought_matching_product_at is not null as bought_matching_product,
        matching_purchases.bought_matching_product_at
    from person_searches
    left join phrase_product_counts
        on person_searches.search_phrase = phrase_product_counts.search_phrase
    left join matching_purchases
        on person_searches.person_id = matching_purchases.person_id
            and person_searches.search_phrase = matching_purchases.search_phrase

)

select * from final
