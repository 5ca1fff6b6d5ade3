{#-
    One row per person and search phrase (int_visitor_searches): how often
    and when the person searched it, the products it matches (the best three
    named; int_search_phrase_products) and whether the person bought a
    matching product after the first search. A phrase holding an '@' (it may
    be an e-mail address typed into the search box: personal data) is not
    published here (int_visitor_searches keeps it; its YAML row count test
    checks that only those rows are left out).
    docs/funnel.md.
-#}
with visitor_searches as (

    select * from {{ ref('int_visitor_searches') }}
    where {{ dbt.position("'@'", 'search_phrase') }} = 0

),

phrase_products as (

    select * from {{ ref('int_search_phrase_products') }}
    where match_rank <= 3

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

best_products as (

    select
        phrase_products.search_phrase,
        {{ top_values_list('phrase_products.product_id', 'phrase_products.match_rank', 3, ',') }}
            as best_matching_product_ids,
        {{ top_values_list('products.product_name', 'phrase_products.match_rank', 3, '; ') }}
            as best_matching_products
    from phrase_products
    inner join products
        on phrase_products.product_id = products.product_id
    group by phrase_products.search_phrase

),

keyed as (

    select
        {{ pseudonymous_key('person_id') }} as person_key,
        person_type,
        customer_id,
        search_phrase,
        search_count,
        first_searched_at,
        last_searched_at,
        matching_product_count,
        bought_matching_product,
        bought_matching_product_at
    from visitor_searches

),

final as (

    select
        cast(
            {{ dbt.hash(dbt.concat(['keyed.person_key', "'|'", 'keyed.search_phrase'])) }}
            as {{ dbt.type_string() }}
        ) as visitor_search_key,
        cast(keyed.person_key as {{ dbt.type_string() }}) as person_key,
        cast(keyed.person_type as {{ dbt.type_string() }}) as person_type,
        cast(keyed.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(keyed.search_phrase as {{ dbt.type_string() }}) as search_phrase,
        cast(keyed.search_count as {{ dbt.type_bigint() }}) as search_count,
        cast(keyed.first_searched_at as {{ dbt.type_timestamp() }}) as first_searched_at,
        cast(keyed.last_searched_at as {{ dbt.type_timestamp() }}) as last_searched_at,
        cast({{ shop_date('keyed.last_searched_at') }} as date) as last_searched_date,
        cast(keyed.matching_product_count as {{ dbt.type_bigint() }}) as matching_product_count,
        cast(best_products.best_matching_product_ids as {{ dbt.type_string() }}) as best_matching_product_ids,
        cast(best_products.best_matching_products as {{ dbt.type_string() }}) as best_matching_products,
        cast(keyed.bought_matching_product as {{ dbt.type_boolean() }}) as bought_matching_product,
        cast(keyed.bought_matching_product_at as {{ dbt.type_timestamp() }}) as bought_matching_product_at,
        cast(as_of.as_of_date as date) as as_of_date
    from keyed
    cross join as_of
    left join best_products
        on keyed.search_phrase = best_products.search_phrase

)

select * from final
