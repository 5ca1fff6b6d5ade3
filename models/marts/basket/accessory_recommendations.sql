{#-
    Accessory (sequential) rules: customers who bought the main product buy
    the accessory in a LATER order within var('accessory_window_days') days.
    The unit is the customer (their history of non-cancelled orders is one
    sequence), not the order:
      total_customers           N, customers with at least one basket
      customers_with_main       customers who ever bought the main product
      customers_with_accessory  customers who ever bought the accessory
      customers_with_sequence   customers with an order holding the main
                                product followed by a later order (strictly
                                later ordered_at, 0..window days by order date)
                                holding the accessory
      support    = customers_with_sequence / N
      confidence = customers_with_sequence / customers_with_main
      lift       = confidence / (customers_with_accessory / N)
    Apriori pruning: only products whose buyer share reaches
    accessory_min_support can be main or accessory (the sequence count is at
    most either buyer count), so the self-join of order histories only
    involves those.
-#}
{%- set window_days = var('accessory_window_days') | int -%}
{%- set accessory_recommendation_id = dbt.concat(['ranked.main_product_id', "'|'", 'ranked.accessory_product_id']) -%}
with basket_items as (

    select * from {{ ref('int_basket_items') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

customer_total as (

    select count(distinct customer_id) as total_customers
    from basket_items

),

product_buyers as (

    select
        product_id,
        count(distinct customer_id) as product_customers
    from basket_items
    group by product_id

),

frequent_products as (

    select
        product_buyers.product_id,
        product_buyers.product_customers
    from product_buyers
    cross join customer_total
    where cast(product_buyers.product_customers as double)
        / cast(customer_total.total_customers as double)
        >= cast({{ var('accessory_min_support') | float }} as double)

),

frequent_purchases as (

    select
        basket_items.customer_id,
        basket_items.order_id,
        basket_items.ordered_at,
        basket_items.order_date,
        basket_items.product_id
    from basket_items
    inner join frequent_products
        on basket_items.product_id = frequent_products.product_id

),

sequences as (

    {#- every (main order, later accessory order) of a customer in the window -#}
    select
        main_purchase.customer_id,
        main_purchase.product_id as main_product_id,
        accessory_purchase.product_id as accessory_product_id,
        {{ days_between('main_purchase.order_date', 'accessory_purchase.order_date') }} as days_after
    from frequent_purchases as main_purchase
    inner join frequent_purchases as accessory_purchase
        on main_purchase.customer_id = accessory_purchase.customer_id
            and main_purchase.ordered_at < accessory_purchase.ordered_at
            and main_purchase.product_id <> accessory_purchase.product_id
    where {{ days_between('main_purchase.order_date', 'accessory_purchase.order_date') }} <= {{ window_days }}

),

customer_sequences as (

    select
        customer_id,
        main_product_id,
        accessory_product_id,
        min(days_after) as shortest_days_after
    from sequences
    group by customer_id, main_product_id, accessory_product_id

),

sequence_counts as (

    select
        main_product_id,
        accessory_product_id,
        count(*) as customers_with_sequence,
        avg(cast(shortest_days_after as double)) as avg_days_after
    from customer_sequences
    group by main_product_id, accessory_product_id

),

measured as (

    select
        sequence_counts.main_product_id,
        sequence_counts.accessory_product_id,
        customer_total.total_customers,
        main_product.product_customers as customers_with_main,
        accessory_product.product_customers as customers_with_accessory,
        sequence_counts.customers_with_sequence,
        sequence_counts.avg_days_after,
        cast(sequence_counts.customers_with_sequence as double)
        / cast(nullif(customer_total.total_customers, 0) as double) as support,  -- noqa: RF04
        cast(sequence_counts.customers_with_sequence as double)
        / cast(nullif(main_product.product_customers, 0) as double) as confidence,
        cast(accessory_product.product_customers as double)
        / cast(nullif(customer_total.total_customers, 0) as double) as accessory_support
    from sequence_counts
    cross join customer_total
    inner join frequent_products as main_product
        on sequence_counts.main_product_id = main_product.product_id
    inner join frequent_products as accessory_product
        on sequence_counts.accessory_product_id = accessory_product.product_id

),

accessory_rules as (

    select
        main_product_id,
        accessory_product_id,
        total_customers,
        customers_with_main,
        customers_with_accessory,
        customers_with_sequence,
        avg_days_after,
        support,
        confidence,
        accessory_support,
        confidence / nullif(accessory_support, 0) as lift
    from measured

),

ranked as (

    select
        main_product_id,
        accessory_product_id,
        total_customers,
        customers_with_main,
        customers_with_accessory,
        customers_with_sequence,
        avg_days_after,
        support,
        confidence,
        accessory_support,
        lift,
        row_number() over (
            partition by main_product_id
            order by lift desc, confidence desc, customers_with_sequence desc, accessory_product_id asc
        ) as accessory_rank
    from accessory_rules
    where support >= cast({{ var('accessory_min_support') | float }} as double)
        and confidence >= cast({{ var('accessory_min_confidence') | float }} as double)
        and lift >= cast({{ var('accessory_min_lift') | float }} as double)

),

final as (

    select
        cast({{ accessory_recommendation_id }} as {{ dbt.type_string() }}) as accessory_recommendation_id,
        cast(ranked.main_product_id as {{ dbt.type_string() }}) as main_product_id,
        cast(main_product.product_name as {{ dbt.type_string() }}) as main_product_name,
        cast(ranked.accessory_rank as {{ dbt.type_int() }}) as accessory_rank,
        cast(ranked.accessory_product_id as {{ dbt.type_string() }}) as accessory_product_id,
        cast(accessory_product.product_name as {{ dbt.type_string() }}) as accessory_product_name,
        cast(accessory_product.category as {{ dbt.type_string() }}) as accessory_category,
        cast({{ window_days }} as {{ dbt.type_int() }}) as window_days,
        cast(ranked.total_customers as {{ dbt.type_bigint() }}) as total_customers,
        cast(ranked.customers_with_main as {{ dbt.type_bigint() }}) as customers_with_main,
        cast(ranked.customers_with_accessory as {{ dbt.type_bigint() }}) as customers_with_accessory,
        cast(ranked.customers_with_sequence as {{ dbt.type_bigint() }}) as customers_with_sequence,
        cast(ranked.support as double) as support,  -- noqa: RF04
        cast(ranked.confidence as double) as confidence,
        cast(ranked.accessory_support as double) as accessory_support,
        cast(ranked.lift as double) as lift,
        cast(ranked.avg_days_after as double) as avg_days_after
    from ranked
    left join products as main_product
        on ranked.main_product_id = main_product.product_id
    left join products as accessory_product
        on ranked.accessory_product_id = accessory_product.product_id

)

select * from final
