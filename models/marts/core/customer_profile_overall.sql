{#- The typical customer of the whole shop, in one row (macro
    typical_customer_profile without grouping). Segment marts call the same
    macro with their segment column. -#}
with profile as (

    {{ typical_customer_profile(ref('int_customers')) }}

),

final as (

    select
        cast(profile_group as {{ dbt.type_string() }}) as profile_group,
        cast(customer_count as {{ dbt.type_bigint() }}) as customer_count,
        cast(buyer_count as {{ dbt.type_bigint() }}) as buyer_count,
        cast(median_age_band as {{ dbt.type_string() }}) as median_age_band,
        cast(top_gender as {{ dbt.type_string() }}) as top_gender,
        cast(top_region as {{ dbt.type_string() }}) as top_region,
        cast(top_city as {{ dbt.type_string() }}) as top_city,
        cast(top_acquisition_channel as {{ dbt.type_string() }}) as top_acquisition_channel,
        cast(median_lifetime_net_revenue as decimal(18, 2)) as median_lifetime_net_revenue,
        cast(top_categories as {{ dbt.type_string() }}) as top_categories
    from profile

)

select * from final
