{#- An order in a currency other than var('shop_currency') needs an exchange
    rate in force on its order date (the latest rate dated on or before it):
    there is one exactly when the currency's first rate is dated on or before
    the order date (a shop date, as stg_shop__orders.order_date). Without one the order is quarantined as
    unknown_exchange_rate:currency (and its lines as unknown_order). -#}
{%- set currency = 'upper(' ~ cleaned_column('currency') ~ ')' -%}
{%- set extra_checks = [
    {'when': currency ~ " <> upper('" ~ var('shop_currency') ~ "')"
        ~ ' and (first_rate_date is null or first_rate_date > ' ~ shop_date(parsed_column('ordered_at')) ~ ')',
     'reason': 'unknown_exchange_rate:currency'},
] -%}

{{ config(
    materialized=staging_materialization(),
    incremental_strategy='append',
    pre_hook=["{{ reset_incremental_model('orders') }}"],
    post_hook=["{{ record_processed_files('orders') }}"]) }}

with source as (

    select * from {{ source('shop', 'orders') }}

),

exchange_rates as (

    {#- the valid rates, already typed (a base_ model reads base_ models only, never staging) #}
    select
        currency,
        rate_date
    from {{ ref('base_shop__exchange_rates') }}
    where quarantine_reason is null

),

first_rates as (

    select
        currency,
        min(rate_date) as first_rate_date
    from exchange_rates
    group by currency

),

{# every raw value normalised once (cleaned__<column>), then parsed from that #}
cleaned as (

    select
        {{ cleaned_columns('orders') }}
        source.*
    from source

),

parsed as (

    select
        {{ parsed_columns('orders') }}
        cleaned.*
    from cleaned

),

joined as (

    select
        parsed.*,
        first_rates.first_rate_date
    from parsed
    left join first_rates
        on upper(parsed.{{ cleaned_column('currency') }}) = first_rates.currency

),

checked as (

    select
        joined.*,
        {{ contract_violation('orders', extra_checks) }} as contract_violation,
        {{ unreadable_columns('orders') }} as unreadable_columns
    from joined

),

{#- an entity: a repeated order_id within one file is a duplicate_key (the first delivered copy kept);
    in a later file it is a new version of the order (stg_shop__orders keeps the latest) -#}
{{ quarantine_reason_ctes('orders', 'checked', 'deduplicated', ['order_id'], per_file=true) }},

final as (

    select
        {{ base_columns(
            'orders',
            source('shop', 'orders'),
            lower=['status', 'payment_method', 'delivery_method'],
            upper=['currency']) }}
    from deduplicated

)

select * from final
