{%- set extra_checks = [] -%}

with source as (

    select * from {{ source('shop', 'campaign_sends') }}

),

parsed as (

    select
        {{ parsed_columns('campaign_sends') }}
        source.*
    from source

),

checked as (

    select
        parsed.*,
        {{ contract_violation('campaign_sends', extra_checks) }} as contract_violation,
        {{ unreadable_columns('campaign_sends') }} as unreadable_columns
    from parsed

),

final as (

    select
        checked.*,
        {{ quarantine_reason('campaign_sends', ['send_id']) }} as quarantine_reason
    from checked

)

select * from final
