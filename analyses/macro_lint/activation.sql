{#-
    Lint harness of macros/activation/ (analyses/macro_lint/README.md):
    every macro that writes SQL, once per variant.
-#}
with sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

final as (

    select
        session_id,
        {{ person_id('customer_id', 'visitor_id') }} as person_id,
        {{ hash_bucket('visitor_id', 100) }} as visitor_bucket,
        {{ ecommerce_segmentation.default__hash_bucket('visitor_id', 100) }} as portable_visitor_bucket
    from sessions

)

select * from final
