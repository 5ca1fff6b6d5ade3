{#- Personal data (email, birth_date) stays in staging; marts never select it.
    Customers are entities: a later file's row of a customer is a new version,
    and the latest delivered one (delivery order: load, file) is staged here;
    every delivery is in stg_shop__customer_versions. Incremental: the valid rows
    of the load ids not seen yet replace (delete+insert) the customers they hold. -#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    pre_hook=["{{ reset_incremental_model('customers') }}"]) }}
with delivered as (

    select * from {{ ref('base_shop__customers') }}
    where quarantine_reason is null
        and {{ new_load_ids_filter('customers') }}

),

ranked as (

    select
        delivered.*,
        row_number() over (
            partition by delivered.customer_id
            order by {{ delivery_order(direction='desc') }}
        ) as version_rank
    from delivered

),

base as (

    {#- the latest delivered version of each customer #}
    select * from ranked
    where version_rank = 1

),

final as (

    select
        customer_id,
        email,
        birth_date,
        case
            when gender in ('female', 'male', 'other') then gender
            when gender is not null then 'other'
        end as gender,
        region,
        city,
        income_band,
        signed_up_at,
        coalesce(marketing_consent, false) as has_marketing_consent,
        case
            when preferred_channel in ('email', 'sms', 'push') then preferred_channel
        end as preferred_channel,
        cast(preferred_contact_hour as {{ dbt.type_int() }}) as preferred_contact_hour,
        unreadable_columns,
        _load_id
    from base

)

select * from final
