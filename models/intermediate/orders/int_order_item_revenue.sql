{#-
    One row per order line with its revenue, following the raw data contract:

    Line amounts keep the precision of the prices (decimal(18, 6)); they are
    never rounded here. The point of rounding is the order (int_order_revenue).

    Currency: every amount is in the shop currency (var('shop_currency')):
    unit_price and the order's discount are the order's amounts times its
    exchange_rate (stg_shop__orders; 1 for the shop currency).
    original_unit_price, original_gross_revenue and original_returned_revenue
    are the same in the order's own currency.

    - gross_revenue   = quantity x unit_price.
    - returned_quantity: the units of the product returned for the order
      (all returns of that order and product), given to the order's lines of
      that product in line_number order, each line taking at most its own
      quantity; units returned beyond what was bought are ignored.
    - returned_revenue = returned_quantity x the line's unit_price.
    - discount_allocated: the order's discount, capped at what is kept after
      returns (gross - returned over the order), spread over the lines in
      proportion to their kept value, in whole cents by the largest-remainder
      method (ties: lowest line_number), so the lines add up to the order
      exactly and no line goes below 0.
    - net_revenue     = gross - returned - discount_allocated (>= 0), at full
      precision; 0 on every line of an order whose discount is more than the
      whole cents it keeps (the discount takes everything; sub-cent rests are
      not revenue). Summed over an order and rounded half up to cents it is
      the order's net revenue (int_order_revenue): greatest(0, gross -
      discount - returned) rounded to cents (0 when the discount is more
      than the whole cents kept).
    - Cancelled orders count for nothing: every revenue column and
      returned_quantity is 0 on their lines (quantity and unit_price stay).
-#}
with order_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

returns as (

    select * from {{ ref('stg_shop__returns') }}

),

returned_per_product as (

    select
        order_id,
        product_id,
        sum(returned_quantity) as returned_quantity
    from returns
    group by order_id, product_id

),

lines as (

    select
        order_items.order_item_id,
        order_items.order_id,
        orders.customer_id,
        orders.is_guest_order,
        orders.ordered_at,
        orders.order_date,
        orders.is_cancelled,
        orders.currency,
        orders.exchange_rate,
        cast(orders.discount_amount * orders.exchange_rate as decimal(18, 6)) as discount_amount,
        order_items.line_number,
        order_items.product_id,
        order_items.quantity,
        cast(order_items.unit_price * orders.exchange_rate as decimal(18, 6)) as unit_price,
        order_items.unit_price as original_unit_price,
        coalesce(returned_per_product.returned_quantity, 0) as product_returned_quantity
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id
    left join returned_per_product
        on order_items.order_id = returned_per_product.order_id
            and order_items.product_id = returned_per_product.product_id
    {#- lines and valued are each read twice: computed once on Spark too
        (macro shared_cte_condition). #}
    where true {{ ecommerce_segmentation.shared_cte_condition() }}

),

{# The window functions below run only on the lines that need them (lines
    of a returned product; lines of a discounted order): a small share of
    all lines. Each subset holds whole partitions, so the results are the
    same as over all lines. -#}
returned_lines as (

    select
        order_item_id,
        greatest(
            0,
            least(
                quantity,
                product_returned_quantity - coalesce(
                    sum(quantity) over (
                        partition by order_id, product_id
                        order by line_number
                        rows between unbounded preceding and 1 preceding
                    ),
                    0
                )
            )
        ) as returned_quantity
    from lines
    where product_returned_quantity > 0
        and not is_cancelled

),

valued as (

    select
        lines.*,
        coalesce(returned_lines.returned_quantity, 0) as returned_quantity,
        case when lines.is_cancelled then cast(0 as decimal(18, 6))
            else cast(lines.quantity * lines.unit_price as decimal(18, 6))
        end as gross_revenue,
        cast(coalesce(returned_lines.returned_quantity, 0) * lines.unit_price as decimal(18, 6)) as returned_revenue,
        case when lines.is_cancelled then cast(0 as decimal(18, 6))
            else cast(lines.quantity * lines.original_unit_price as decimal(18, 6))
        end as original_gross_revenue,
        cast(coalesce(returned_lines.returned_quantity, 0) * lines.original_unit_price as decimal(18, 6))
            as original_returned_revenue
    from lines
    left join returned_lines
        on lines.order_item_id = returned_lines.order_item_id
    where true {{ ecommerce_segmentation.shared_cte_condition() }}

),

discounted_lines as (

    select
        order_id,
        order_item_id,
        line_number,
        discount_amount,
        {#- whole cents kept, rounded down: a line never gets more discount than it keeps #}
        cast(floor((gross_revenue - returned_revenue) * 100) as {{ dbt.type_bigint() }}) as kept_cents
    from valued
    where discount_amount > 0
        and not is_cancelled

),

discount_shares as (

    select
        *,
        least(
            cast(round(discount_amount * 100, 0) as {{ dbt.type_bigint() }}),
            sum(kept_cents) over (partition by order_id)
        ) as applied_discount_cents,
        sum(kept_cents) over (partition by order_id) as order_kept_cents,
        cast(round(discount_amount * 100, 0) as {{ dbt.type_bigint() }})
        > sum(kept_cents) over (partition by order_id) as is_discount_capped
    from discounted_lines

),

discount_floor as (

    select
        *,
        case
            when order_kept_cents <= 0 then cast(0 as {{ dbt.type_bigint() }})
            else {{ ecommerce_segmentation.integer_divide('applied_discount_cents * kept_cents', 'order_kept_cents') }}
        end as discount_floor_cents,
        case
            when order_kept_cents <= 0 then cast(0 as {{ dbt.type_bigint() }})
            else applied_discount_cents * kept_cents
                - {{ ecommerce_segmentation.integer_divide('applied_discount_cents * kept_cents', 'order_kept_cents') }}
                * order_kept_cents
        end as discount_remainder
    from discount_shares

),

discount_allocations as (

    select
        order_item_id,
        is_discount_capped,
        discount_floor_cents
        + case
            when row_number() over (partition by order_id order by discount_remainder desc, line_number asc)
                <= greatest(applied_discount_cents, 0) - sum(discount_floor_cents) over (partition by order_id)
                then 1
            else 0
        end as discount_cents
    from discount_floor

),

final as (

    select
        valued.order_item_id,
        valued.order_id,
        valued.customer_id,
        valued.is_guest_order,
        valued.ordered_at,
        valued.order_date,
        valued.is_cancelled,
        valued.line_number,
        valued.product_id,
        valued.quantity,
        valued.unit_price,
        valued.currency,
        valued.original_unit_price,
        valued.original_gross_revenue,
        valued.original_returned_revenue,
        cast(valued.returned_quantity as {{ dbt.type_int() }}) as returned_quantity,
        valued.gross_revenue,
        valued.returned_revenue,
        cast(cast(coalesce(discount_allocations.discount_cents, 0) as decimal(18, 0)) * 0.01 as decimal(18, 2))
            as discount_allocated,
        case
            when coalesce(discount_allocations.is_discount_capped, false) then cast(0 as decimal(18, 6))
            else cast(
                    valued.gross_revenue - valued.returned_revenue
                    - cast(coalesce(discount_allocations.discount_cents, 0) as decimal(18, 0)) * 0.01
                    as decimal(18, 6)
                )
        end as net_revenue
    from valued
    left join discount_allocations
        on valued.order_item_id = discount_allocations.order_item_id

)

select * from final
