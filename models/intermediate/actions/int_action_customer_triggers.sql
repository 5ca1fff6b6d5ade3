{#-
    The customer-state triggers of the marketing actions (issue #14, point
    4): one row per customer and occasion their lifecycle, RFM segment,
    birthday or latest purchase calls for an action, at the as-of date:

      win_back          lifecycle at_risk; occasion: the at-risk spell (the
                        date the customer entered the stage)
      welcome           lifecycle new, or RFM "New Customers" (an RFM label
                        only: int_action_candidates drops the candidates whose
                        lifecycle stage does not fit, with the reason, so the
                        audit shows the RFM-only ones); occasion: the first
                        order date
      loyalty_reward    RFM Champions (the stage check drops at-risk and
                        churned ones); occasion: the calendar quarter of the
                        as-of date
      birthday_offer    the customer's next birthday (on 28 February in a
                        year without 29 February for one born on 29 February)
                        falls in the action_birthday_lead_days days after the
                        as-of date; occasion: the birthday's year. Neither
                        the birth date nor the birthday is written anywhere.
      accessory_offer   the customer's latest non-cancelled order is at most
                        action_purchase_max_age_days days old and product
                        association rules (int_product_association_rules:
                        bought in the same order by other customers) lead
                        from its products (every antecedent product in it) to
                        products the customer never bought; occasion: that
                        order; content: the best consequents (confidence,
                        then lift, then product id). Only strong rules that
                        lead to an accessory: confidence at least var
                        action_accessory_min_confidence, lift at least var
                        action_accessory_min_lift, and no substitute (a
                        consequent of the category of the rule's main product
                        (its dearer antecedent) whose list price is above var
                        action_accessory_max_price_ratio times the main
                        product's: another phone for a phone buyer)
-#}
{%- set lead_days = numeric_var('action_birthday_lead_days', minimum=0, integer=true) -%}
{%- set purchase_days = numeric_var('action_purchase_max_age_days', minimum=0, integer=true) -%}
{%- set max_products = numeric_var('action_content_max_products', minimum=1, integer=true) | int -%}
{%- set min_confidence = numeric_var('action_accessory_min_confidence', minimum=0) -%}
{%- set min_lift = numeric_var('action_accessory_min_lift', minimum=0) -%}
{%- set max_price_ratio = numeric_var('action_accessory_max_price_ratio', minimum=0) -%}
{%- if min_confidence | float > 1 -%}
    {{ exceptions.raise_compiler_error("var('action_accessory_min_confidence') must be 0-1; got " ~ min_confidence) }}
{%- endif -%}
with customers as (

    select * from {{ ref('stg_shop__customers') }}

),

lifecycle as (

    select * from {{ ref('int_customer_lifecycle') }}

),

rfm as (

    select * from {{ ref('int_customer_rfm') }}

),

basket_items as (

    select * from {{ ref('int_basket_items') }}
    where customer_id is not null

),

association_rules as (

    select * from {{ ref('int_product_association_rules') }}
    where confidence >= cast({{ min_confidence }} as {{ dbt.type_float() }})
        and lift >= cast({{ min_lift }} as {{ dbt.type_float() }})

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

win_back_triggers as (

    select
        'win_back' as action_type,
        lifecycle.customer_id as person_id,
        {{ dbt.concat(["'at_risk_since:'", 'cast(lifecycle.stage_entered_date as ' ~ dbt.type_string() ~ ')']) }}
            as occasion_key,
        lifecycle.stage_entered_date as trigger_date,
        {{ dbt.concat([
            "'Lifecycle at_risk since '", 'cast(lifecycle.stage_entered_date as ' ~ dbt.type_string() ~ ')',
            "': '", 'cast(lifecycle.days_since_last_order as ' ~ dbt.type_string() ~ ')',
            "' days since the last order, beyond their at-risk threshold of '",
            'cast(cast(floor(lifecycle.at_risk_threshold_days) as ' ~ dbt.type_int() ~ ') as ' ~ dbt.type_string() ~ ')',
            "' days'"]) }} as reason,
        'win-back offer' as content_label
    from lifecycle
    where lifecycle.lifecycle_stage = 'at_risk'

),

welcome_triggers as (

    select
        'welcome' as action_type,
        lifecycle.customer_id as person_id,
        {{ dbt.concat(["'first_order:'", 'cast(lifecycle.first_order_date as ' ~ dbt.type_string() ~ ')']) }}
            as occasion_key,
        lifecycle.first_order_date as trigger_date,
        {{ dbt.concat([
            "'First order on '", 'cast(lifecycle.first_order_date as ' ~ dbt.type_string() ~ ')',
            "', '", 'cast(lifecycle.order_count as ' ~ dbt.type_string() ~ ')', "' order(s); lifecycle '",
            'lifecycle.lifecycle_stage', "', RFM '", "coalesce(rfm.segment_name, 'none')"]) }} as reason,
        'welcome series' as content_label
    from lifecycle
    left join rfm
        on lifecycle.customer_id = rfm.customer_id
    where lifecycle.first_order_date is not null
        and (lifecycle.lifecycle_stage = 'new' or rfm.segment_name = 'New Customers')

),

loyalty_triggers as (

    select
        'loyalty_reward' as action_type,
        rfm.customer_id as person_id,
        {{ dbt.concat([
            "'quarter:'", 'cast(extract(year from as_of.as_of_date) as ' ~ dbt.type_string() ~ ')',
            "'-Q'", 'cast(extract(quarter from as_of.as_of_date) as ' ~ dbt.type_string() ~ ')']) }}
            as occasion_key,
        as_of.as_of_date as trigger_date,
        {{ dbt.concat([
            "'RFM segment '", 'rfm.segment_name', "' (code '", 'rfm.rfm_code', "'): '",
            'cast(rfm.frequency as ' ~ dbt.type_string() ~ ')', "' orders, last '",
            'cast(rfm.recency_days as ' ~ dbt.type_string() ~ ')', "' days ago'"]) }} as reason,
        'loyalty reward' as content_label
    from rfm
    cross join as_of
    where rfm.segment_name = 'Champions'

),

birthdays_this_year as (

    select
        customers.customer_id,
        as_of.as_of_date,
        cast({{ dbt.dateadd(
            'month',
            '12 * cast(extract(year from as_of.as_of_date) - extract(year from customers.birth_date) as '
                ~ dbt.type_int() ~ ')',
            'customers.birth_date') }} as date) as birthday_this_year,
        cast({{ dbt.dateadd(
            'month',
            '12 * cast(extract(year from as_of.as_of_date) - extract(year from customers.birth_date) + 1 as '
                ~ dbt.type_int() ~ ')',
            'customers.birth_date') }} as date) as birthday_next_year
    from customers
    cross join as_of
    where customers.birth_date is not null
        and customers.birth_date <= as_of.as_of_date

),

next_birthdays as (

    select
        customer_id,
        as_of_date,
        case
            when birthday_this_year > as_of_date then birthday_this_year
            else birthday_next_year
        end as next_birthday
    from birthdays_this_year

),

birthday_triggers as (

    select
        'birthday_offer' as action_type,
        customer_id as person_id,
        {{ dbt.concat(["'birthday:'", 'cast(extract(year from next_birthday) as ' ~ dbt.type_string() ~ ')']) }}
            as occasion_key,
        as_of_date as trigger_date,
        'Birthday within the next {{ lead_days }} days' as reason,
        'birthday offer' as content_label
    from next_birthdays
    where {{ days_between('as_of_date', 'next_birthday') }} <= {{ lead_days }}

),

latest_orders as (

    select
        basket_items.customer_id,
        basket_items.order_id,
        basket_items.order_date,
        row_number() over (
            partition by basket_items.customer_id
            order by basket_items.ordered_at desc, basket_items.order_id desc
        ) as order_recency_rank
    from basket_items
    cross join as_of
    where basket_items.order_date <= as_of.as_of_date
        and basket_items.order_date > {{ dbt.dateadd('day', '-' ~ purchase_days, 'as_of.as_of_date') }}

),

latest_order_items as (

    select distinct
        latest_orders.customer_id,
        latest_orders.order_id,
        latest_orders.order_date,
        basket_items.product_id
    from latest_orders
    inner join basket_items
        on latest_orders.order_id = basket_items.order_id
    where latest_orders.order_recency_rank = 1

),

bought_products as (

    select distinct
        customer_id,
        product_id
    from basket_items

),

matched_rules as (

    {#- a rule fits when every antecedent product is in the latest order -#}
    select
        first_item.customer_id,
        first_item.order_id,
        first_item.order_date,
        association_rules.consequent_item as product_id,
        association_rules.antecedent_item_1,
        association_rules.antecedent_item_2,
        association_rules.confidence,
        association_rules.lift
    from association_rules
    inner join latest_order_items as first_item
        on association_rules.antecedent_item_1 = first_item.product_id
    left join latest_order_items as second_item
        on first_item.order_id = second_item.order_id
            and association_rules.antecedent_item_2 = second_item.product_id
    where association_rules.antecedent_item_2 is null
        or second_item.product_id is not null

),

substitute_rules as (

    {#- a consequent of the category of the rule's main product (its dearer
        antecedent) that costs more than action_accessory_max_price_ratio of
        it is a substitute, not an accessory -#}
    select distinct
        matched_rules.customer_id,
        matched_rules.order_id,
        matched_rules.product_id
    from matched_rules
    inner join products as consequent
        on matched_rules.product_id = consequent.product_id
    inner join products as first_antecedent
        on matched_rules.antecedent_item_1 = first_antecedent.product_id
    left join products as second_antecedent
        on matched_rules.antecedent_item_2 = second_antecedent.product_id
    where consequent.category
        = case
            when second_antecedent.list_price > first_antecedent.list_price then second_antecedent.category
            else first_antecedent.category
        end
        and consequent.list_price
        > cast({{ max_price_ratio }} as {{ dbt.type_float() }})
        * case
            when second_antecedent.list_price > first_antecedent.list_price then second_antecedent.list_price
            else first_antecedent.list_price
        end

),

new_products as (

    select
        matched_rules.customer_id,
        matched_rules.order_id,
        matched_rules.order_date,
        matched_rules.product_id,
        max(matched_rules.confidence) as confidence,
        max(matched_rules.lift) as lift
    from matched_rules
    left join bought_products
        on matched_rules.customer_id = bought_products.customer_id
            and matched_rules.product_id = bought_products.product_id
    left join substitute_rules
        on matched_rules.customer_id = substitute_rules.customer_id
            and matched_rules.order_id = substitute_rules.order_id
            and matched_rules.product_id = substitute_rules.product_id
    where bought_products.product_id is null
        and substitute_rules.product_id is null
    group by matched_rules.customer_id, matched_rules.order_id, matched_rules.order_date, matched_rules.product_id

),

ranked_new_products as (

    select
        new_products.customer_id,
        new_products.order_id,
        new_products.order_date,
        new_products.product_id,
        coalesce(products.product_name, new_products.product_id) as product_name,
        row_number() over (
            partition by new_products.customer_id
            order by new_products.confidence desc, new_products.lift desc, new_products.product_id asc
        ) as product_rank
    from new_products
    left join products
        on new_products.product_id = products.product_id

),

accessory_triggers as (

    select
        'accessory_offer' as action_type,
        customer_id as person_id,
        {{ dbt.concat(["'order:'", 'order_id']) }} as occasion_key,
        max(order_date) as trigger_date,
        {{ dbt.concat([
            "'Order '", 'order_id', "' of '", 'cast(max(order_date) as ' ~ dbt.type_string() ~ ')',
            "': other customers buy these products in the same order as its products'"]) }} as reason,
        'products bought together with the latest order' as content_label,
        {{ top_values_list('product_id', 'product_rank', max_products, '|') }} as content_product_ids,
        {{ top_values_list('product_name', 'product_rank', max_products, '|') }} as content_product_names
    from ranked_new_products
    group by customer_id, order_id

),

state_triggers as (

    select * from win_back_triggers
    union all
    select * from welcome_triggers
    union all
    select * from loyalty_triggers
    union all
    select * from birthday_triggers

),

triggers as (

    select
        action_type,
        person_id,
        occasion_key,
        trigger_date,
        reason,
        content_label,
        cast(null as {{ dbt.type_string() }}) as content_product_ids,
        cast(null as {{ dbt.type_string() }}) as content_product_names
    from state_triggers
    union all
    select
        action_type,
        person_id,
        occasion_key,
        trigger_date,
        reason,
        content_label,
        content_product_ids,
        content_product_names
    from accessory_triggers

),

final as (

    select
        cast(
            {{ dbt.concat(['action_type', "'|'", 'person_id', "'|'", 'occasion_key']) }} as {{ dbt.type_string() }}
        ) as trigger_id,
        cast(action_type as {{ dbt.type_string() }}) as action_type,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(occasion_key as {{ dbt.type_string() }}) as occasion_key,
        {#- the trigger's day, read as the start of that shop day (UTC) -#}
        cast({{ from_shop_time('cast(trigger_date as timestamp)') }} as timestamp) as trigger_at,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(content_label as {{ dbt.type_string() }}) as content_label,
        cast(content_product_ids as {{ dbt.type_string() }}) as content_product_ids,
        cast(content_product_names as {{ dbt.type_string() }}) as content_product_names
    from triggers

)

select * from final
