{#-
    One row per snapshot date (int_scorecard_snapshots) and person in its
    population: a person (macro person_id) with at least one visit on or
    before the snapshot date, the latest within var scorecard_population_days
    days of it. The person's behaviour over the whole relationship up to the
    snapshot date (only data dated on or before it), and, for observed
    snapshots, the targets:

    - is_buyer: a non-cancelled order of the person dated in the horizon
      after the snapshot date (snapshot_date < order_date <= snapshot_date +
      var scoring_horizon_days);
    - is_big_spender: such an order worth at least the snapshot's
      large_order_value.

    The recent_* behaviours count only the visits dated in the last var
    scorecard_recent_days days up to the snapshot date and after the date of
    the person's latest order on or before it (intent not yet followed by a
    purchase; the generated shop plants its purchase drivers there).

    The scoring snapshot (the as-of date) has null targets. Identity is read
    as stitched today: a visitor who logs in later is that customer in every
    snapshot; is_registered_customer (signed up on or before the snapshot
    date) is the behaviour that says what was known then.

    The learning sample (var scorecard_learning_sample_persons, default
    50,000): an observed snapshot whose population is larger keeps about that
    many persons, chosen by a hash of the person id; the scoring snapshot
    keeps everyone.

    var scorecard_scoring_snapshot_only (default false; ecomseg stream sets it
    true): only the scoring snapshot's rows, the real-time path's cheap
    variant (docs/realtime.md); the regular build writes every snapshot.

    Cost (issue #12): the totals up to d are not summed per snapshot over
    every earlier day (snapshots x person-days rows). Each date is put in
    its bucket, the first snapshot date on or after it (date_buckets);
    the person's days, product views and orders are summed per bucket and
    run up over the person's buckets (window totals, *_to_date); a snapshot
    d then takes, per person, the latest bucket on or before d (the bucket
    interval [bucket_date, next_bucket_date) holding d). The work follows
    persons x their buckets and the rows written; the recent_* window and
    the targets' horizon join only the days and orders in their window.
-#}
{%- set population_days = var('scorecard_population_days') | int -%}
{%- set recent_days = var('scorecard_recent_days') | int -%}
{%- set sample_persons = none if var('scorecard_learning_sample_persons') is none
    else numeric_var('scorecard_learning_sample_persons', minimum=1, integer=true) | int -%}
{#- A person's buckets in date order; to_date: the running total up to and including a bucket. -#}
{%- set by_person_bucket = 'partition by person_id order by bucket_date' -%}
{%- set to_date = by_person_bucket ~ ' rows between unbounded preceding and current row' -%}
with snapshots as (

    select * from {{ ref('int_scorecard_snapshots') }}
    {%- if var('scorecard_scoring_snapshot_only') %}
        where snapshot_sample = 'scoring'
    {%- endif %}

),

person_days as (

    select * from {{ ref('int_scorecard_person_days') }}

),

person_product_views as (

    select * from {{ ref('int_scorecard_person_product_views') }}

),

person_orders as (

    select * from {{ ref('int_scorecard_person_orders') }}

),

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

snapshot_bounds as (

    select cast({{ dbt.dateadd('day', 1, 'max(snapshot_date)') }} as date) as after_last_snapshot_date
    from snapshots

),

data_dates as (

    select activity_date as data_date from person_days
    union
    select view_date as data_date from person_product_views
    union
    select order_date as data_date from person_orders

),

date_buckets as (

    select
        data_dates.data_date,
        min(snapshots.snapshot_date) as bucket_date
    from data_dates
    inner join snapshots
        on data_dates.data_date <= snapshots.snapshot_date
    group by data_dates.data_date

),

activity_buckets as (

    select
        person_days.person_id,
        date_buckets.bucket_date,
        max(person_days.customer_id) as customer_id,
        min(person_days.activity_date) as first_visit_date,
        max(person_days.activity_date) as last_visit_date,
        sum(person_days.visit_count) as visit_count,
        sum(person_days.email_visit_count) as email_visit_count,
        sum(person_days.page_view_count) as page_view_count,
        sum(person_days.product_view_count) as product_view_count,
        sum(person_days.visits_with_3plus_product_views) as visits_with_3plus_product_views,
        sum(person_days.search_count) as search_count,
        sum(person_days.visits_with_search) as visits_with_search,
        sum(person_days.cart_add_count) as cart_add_count,
        sum(person_days.visits_with_cart_add) as visits_with_cart_add,
        sum(person_days.abandoned_at_cart) as abandoned_at_cart,
        sum(person_days.abandoned_at_delivery) as abandoned_at_delivery,
        sum(person_days.abandoned_at_payment) as abandoned_at_payment,
        sum(person_days.abandoned_at_confirmation) as abandoned_at_confirmation
    from person_days
    inner join date_buckets
        on person_days.activity_date = date_buckets.data_date
    group by person_days.person_id, date_buckets.bucket_date

),

activity_to_date as (

    select
        activity_buckets.person_id,
        activity_buckets.bucket_date,
        coalesce(
            lead(activity_buckets.bucket_date) over ({{ by_person_bucket }}),
            snapshot_bounds.after_last_snapshot_date
        ) as next_bucket_date,
        max(activity_buckets.customer_id) over ({{ to_date }}) as customer_id,
        min(activity_buckets.first_visit_date) over ({{ to_date }}) as first_visit_date,
        activity_buckets.last_visit_date,
        sum(activity_buckets.visit_count) over ({{ to_date }}) as visit_count,
        sum(activity_buckets.email_visit_count) over ({{ to_date }}) as email_visit_count,
        sum(activity_buckets.page_view_count) over ({{ to_date }}) as page_view_count,
        sum(activity_buckets.product_view_count) over ({{ to_date }}) as product_view_count,
        sum(activity_buckets.visits_with_3plus_product_views) over ({{ to_date }})
            as visits_with_3plus_product_views,
        sum(activity_buckets.search_count) over ({{ to_date }}) as search_count,
        sum(activity_buckets.visits_with_search) over ({{ to_date }}) as visits_with_search,
        sum(activity_buckets.cart_add_count) over ({{ to_date }}) as cart_add_count,
        sum(activity_buckets.visits_with_cart_add) over ({{ to_date }}) as visits_with_cart_add,
        sum(activity_buckets.abandoned_at_cart) over ({{ to_date }}) as abandoned_at_cart,
        sum(activity_buckets.abandoned_at_delivery) over ({{ to_date }}) as abandoned_at_delivery,
        sum(activity_buckets.abandoned_at_payment) over ({{ to_date }}) as abandoned_at_payment,
        sum(activity_buckets.abandoned_at_confirmation) over ({{ to_date }}) as abandoned_at_confirmation
    from activity_buckets
    cross join snapshot_bounds

),

population as (

    select
        snapshots.snapshot_date,
        activity_to_date.person_id,
        activity_to_date.customer_id,
        activity_to_date.first_visit_date,
        activity_to_date.last_visit_date,
        activity_to_date.visit_count,
        activity_to_date.email_visit_count,
        activity_to_date.page_view_count,
        activity_to_date.product_view_count,
        activity_to_date.visits_with_3plus_product_views,
        activity_to_date.search_count,
        activity_to_date.visits_with_search,
        activity_to_date.cart_add_count,
        activity_to_date.visits_with_cart_add,
        activity_to_date.abandoned_at_cart,
        activity_to_date.abandoned_at_delivery,
        activity_to_date.abandoned_at_payment,
        activity_to_date.abandoned_at_confirmation
    from activity_to_date
    inner join snapshots
        on activity_to_date.bucket_date <= snapshots.snapshot_date
            and activity_to_date.next_bucket_date > snapshots.snapshot_date
    where activity_to_date.last_visit_date >= {{ dbt.dateadd('day', -population_days, 'snapshots.snapshot_date') }}

),

population_counts as (

    select
        snapshot_date,
        count(*) as population_count
    from population
    group by snapshot_date

),

activity as (

    {#- the learning sample (var scorecard_learning_sample_persons): an observed snapshot whose population is
        larger keeps about that many of its persons, those whose hash bucket (0 .. 999,999 of the person id)
        is below sample / population x 1,000,000: the same persons in every snapshot as far as the
        populations allow. The scoring snapshot is never sampled -#}
    select population.*
    from population
    {%- if sample_persons is not none %}
    inner join population_counts
        on population.snapshot_date = population_counts.snapshot_date
    inner join snapshots
        on population.snapshot_date = snapshots.snapshot_date
    where
        not snapshots.is_observed
        or {{ hash_bucket(dbt.concat(["'scorecard_sample|'", 'population.person_id']), 1000000) }}
        * population_counts.population_count < {{ sample_persons * 1000000 }}
    {%- endif %}

),

first_days as (

    select
        person_id,
        min(activity_date) as first_visit_date
    from person_days
    group by person_id

),

first_visits as (

    select
        person_days.person_id,
        person_days.first_traffic_source
    from person_days
    inner join first_days
        on person_days.person_id = first_days.person_id
            and person_days.activity_date = first_days.first_visit_date

),

product_view_buckets as (

    select
        person_product_views.person_id,
        person_product_views.product_id,
        date_buckets.bucket_date,
        sum(person_product_views.view_count) as view_count
    from person_product_views
    inner join date_buckets
        on person_product_views.view_date = date_buckets.data_date
    group by person_product_views.person_id, person_product_views.product_id, date_buckets.bucket_date

),

product_views_to_date as (

    select
        person_id,
        bucket_date,
        sum(view_count) over (
            partition by person_id, product_id
            order by bucket_date
            rows between unbounded preceding and current row
        ) as view_count
    from product_view_buckets

),

most_viewed_buckets as (

    select
        person_id,
        bucket_date,
        max(view_count) as max_views_of_one_product
    from product_views_to_date
    group by person_id, bucket_date

),

most_viewed_to_date as (

    select
        most_viewed_buckets.person_id,
        most_viewed_buckets.bucket_date,
        coalesce(
            lead(most_viewed_buckets.bucket_date) over ({{ by_person_bucket }}),
            snapshot_bounds.after_last_snapshot_date
        ) as next_bucket_date,
        max(most_viewed_buckets.max_views_of_one_product) over ({{ to_date }}) as max_views_of_one_product
    from most_viewed_buckets
    cross join snapshot_bounds

),

most_viewed as (

    select
        snapshots.snapshot_date,
        most_viewed_to_date.person_id,
        most_viewed_to_date.max_views_of_one_product
    from most_viewed_to_date
    inner join snapshots
        on most_viewed_to_date.bucket_date <= snapshots.snapshot_date
            and most_viewed_to_date.next_bucket_date > snapshots.snapshot_date

),

order_buckets as (

    select
        person_orders.person_id,
        date_buckets.bucket_date,
        count(*) as order_count,
        max(person_orders.order_date) as last_order_date,
        sum(person_orders.order_value) as order_value_total
    from person_orders
    inner join date_buckets
        on person_orders.order_date = date_buckets.data_date
    group by person_orders.person_id, date_buckets.bucket_date

),

orders_to_date as (

    select
        order_buckets.person_id,
        order_buckets.bucket_date,
        coalesce(
            lead(order_buckets.bucket_date) over ({{ by_person_bucket }}),
            snapshot_bounds.after_last_snapshot_date
        ) as next_bucket_date,
        sum(order_buckets.order_count) over ({{ to_date }}) as order_count,
        max(order_buckets.last_order_date) over ({{ to_date }}) as last_order_date,
        sum(order_buckets.order_value_total) over ({{ to_date }}) as order_value_total
    from order_buckets
    cross join snapshot_bounds

),

orders_before as (

    select
        snapshots.snapshot_date,
        orders_to_date.person_id,
        orders_to_date.order_count,
        orders_to_date.last_order_date,
        orders_to_date.order_value_total
    from orders_to_date
    inner join snapshots
        on orders_to_date.bucket_date <= snapshots.snapshot_date
            and orders_to_date.next_bucket_date > snapshots.snapshot_date

),

recent_activity as (

    select
        snapshots.snapshot_date,
        person_days.person_id,
        sum(person_days.visits_with_cart_add) as recent_cart_add_visits,
        sum(person_days.email_visit_count) as recent_email_visits,
        sum(person_days.visits_with_3plus_product_views) as recent_3plus_product_view_visits,
        sum(person_days.visits_with_search) as recent_search_visits
    from snapshots
    inner join person_days
        on snapshots.snapshot_date >= person_days.activity_date
            and person_days.activity_date > {{ dbt.dateadd('day', -recent_days, 'snapshots.snapshot_date') }}
    left join orders_before
        on snapshots.snapshot_date = orders_before.snapshot_date
            and person_days.person_id = orders_before.person_id
    where orders_before.last_order_date is null or person_days.activity_date > orders_before.last_order_date
    group by snapshots.snapshot_date, person_days.person_id

),

orders_after as (

    select
        snapshots.snapshot_date,
        person_orders.person_id,
        max(case when person_orders.order_value >= snapshots.large_order_value then 1 else 0 end)
            as has_large_order
    from snapshots
    inner join person_orders
        on snapshots.snapshot_date < person_orders.order_date
            and snapshots.horizon_end_date >= person_orders.order_date
    where snapshots.is_observed
    group by snapshots.snapshot_date, person_orders.person_id

),

joined as (

    select
        activity.snapshot_date,
        snapshots.snapshot_sample,
        activity.person_id,
        case when activity.customer_id is null then 'visitor' else 'customer' end as person_type,
        activity.customer_id,
        activity.visit_count,
        {{ days_between('activity.first_visit_date', 'activity.snapshot_date') }} as days_since_first_visit,
        {{ days_between('activity.last_visit_date', 'activity.snapshot_date') }} as days_since_last_visit,
        activity.page_view_count,
        activity.product_view_count,
        activity.visits_with_3plus_product_views,
        coalesce(most_viewed.max_views_of_one_product, 0) as max_views_of_one_product,
        activity.search_count,
        activity.visits_with_search,
        activity.cart_add_count,
        activity.visits_with_cart_add,
        activity.abandoned_at_cart,
        activity.abandoned_at_delivery,
        activity.abandoned_at_payment,
        activity.abandoned_at_confirmation,
        activity.email_visit_count,
        coalesce(recent_activity.recent_cart_add_visits, 0) as recent_cart_add_visits,
        coalesce(recent_activity.recent_email_visits, 0) as recent_email_visits,
        coalesce(recent_activity.recent_3plus_product_view_visits, 0) as recent_3plus_product_view_visits,
        coalesce(recent_activity.recent_search_visits, 0) as recent_search_visits,
        coalesce(orders_before.order_count, 0) as order_count,
        {{ days_between('orders_before.last_order_date', 'activity.snapshot_date') }} as days_since_last_order,
        coalesce(orders_before.order_value_total, 0) as order_value_total,
        coalesce(first_visits.first_traffic_source, 'unknown') as first_traffic_source,
        coalesce(last_visits.last_traffic_source, 'unknown') as latest_traffic_source,
        coalesce(last_visits.last_device, 'unknown') as latest_device,
        case
            when {{ shop_date('customers.signed_up_at') }} <= activity.snapshot_date then 'yes'
            else 'no'
        end as is_registered_customer,
        case when snapshots.is_observed then orders_after.person_id is not null end as is_buyer,
        case when snapshots.is_observed then coalesce(orders_after.has_large_order, 0) = 1 end as is_big_spender
    from activity
    inner join snapshots
        on activity.snapshot_date = snapshots.snapshot_date
    left join first_visits
        on activity.person_id = first_visits.person_id
    left join person_days as last_visits
        on activity.person_id = last_visits.person_id
            and activity.last_visit_date = last_visits.activity_date
    left join most_viewed
        on activity.snapshot_date = most_viewed.snapshot_date
            and activity.person_id = most_viewed.person_id
    left join orders_before
        on activity.snapshot_date = orders_before.snapshot_date
            and activity.person_id = orders_before.person_id
    left join recent_activity
        on activity.snapshot_date = recent_activity.snapshot_date
            and activity.person_id = recent_activity.person_id
    left join orders_after
        on activity.snapshot_date = orders_after.snapshot_date
            and activity.person_id = orders_after.person_id
    left join customers
        on activity.customer_id = customers.customer_id

),

final as (

    select
        cast(
            {{ dbt.concat(['cast(snapshot_date as ' ~ dbt.type_string() ~ ')', "'|'", 'person_id']) }}
            as {{ dbt.type_string() }}
        ) as scorecard_person_id,
        snapshot_date,
        snapshot_sample,
        person_id,
        person_type,
        customer_id,
        cast(visit_count as bigint) as visit_count,
        cast(days_since_first_visit as int) as days_since_first_visit,
        cast(days_since_last_visit as int) as days_since_last_visit,
        cast(page_view_count as bigint) as page_view_count,
        cast(product_view_count as bigint) as product_view_count,
        cast(visits_with_3plus_product_views as bigint) as visits_with_3plus_product_views,
        cast(max_views_of_one_product as bigint) as max_views_of_one_product,
        cast(search_count as bigint) as search_count,
        cast(visits_with_search as bigint) as visits_with_search,
        cast(cart_add_count as bigint) as cart_add_count,
        cast(visits_with_cart_add as bigint) as visits_with_cart_add,
        cast(abandoned_at_cart as bigint) as abandoned_at_cart,
        cast(abandoned_at_delivery as bigint) as abandoned_at_delivery,
        cast(abandoned_at_payment as bigint) as abandoned_at_payment,
        cast(abandoned_at_confirmation as bigint) as abandoned_at_confirmation,
        cast(email_visit_count as bigint) as email_visit_count,
        cast(recent_cart_add_visits as bigint) as recent_cart_add_visits,
        cast(recent_email_visits as bigint) as recent_email_visits,
        cast(recent_3plus_product_view_visits as bigint) as recent_3plus_product_view_visits,
        cast(recent_search_visits as bigint) as recent_search_visits,
        cast(order_count as bigint) as order_count,
        cast(days_since_last_order as int) as days_since_last_order,
        cast(order_value_total as decimal(38, 2)) as order_value_total,
        first_traffic_source,
        latest_traffic_source,
        latest_device,
        is_registered_customer,
        is_buyer,
        is_big_spender
    from joined

)

select * from final
