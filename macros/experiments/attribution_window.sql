{#
    attribution_window_orders(touches, touch_key, touch_person, touched_at,
    orders, order_person, window_seconds): the SQL of a select with one row
    per touch (a campaign send, a marketing action: relation alias touches,
    key column touch_key) that has orders of its person in the attribution
    window, touched_at < ordered_at and seconds_between(touched_at,
    ordered_at) <= window_seconds: touch_key, orders_in_window (count of
    order_id) and revenue_in_window (sum of net_revenue). The orders relation
    (alias orders) needs order_id, ordered_at, net_revenue and the person
    column. A touch without such orders has no row: left join it.
    An inner join on the person with the window as a filter: in a left join's
    condition DuckDB cannot hash-join on the person when the window is an
    expression of both sides (a nested loop over touches x orders;
    scripts/check_plans.py).
#}
{% macro attribution_window_orders(touches, touch_key, touch_person, touched_at, orders, order_person, window_seconds) %}
    select
        {{ touches }}.{{ touch_key }},
        count({{ orders }}.order_id) as orders_in_window,
        sum({{ orders }}.net_revenue) as revenue_in_window
    from {{ touches }}
    inner join {{ orders }}
        on {{ touches }}.{{ touch_person }} = {{ orders }}.{{ order_person }}
    where
        {{ touches }}.{{ touched_at }} < {{ orders }}.ordered_at
        and {{ ecommerce_segmentation.seconds_between(touches ~ '.' ~ touched_at, orders ~ '.ordered_at') }}
        <= {{ window_seconds }}
    group by {{ touches }}.{{ touch_key }}
{% endmacro %}
