{%- set extra_checks = [] -%}

with source as (

    select * from {{ source('shop', 'campaign_sends') }}

),

{# every raw value normalised once (cleaned__<column>), then parsed from that #}
cleaned as (

    select
        {{ cleaned_columns('campaign_sends') }}
        source.*
    from source

),

parsed as (

    select
        {{ parsed_columns('campaign_sends') }}
        cleaned.*
    from cleaned

),

checked as (

    select
        parsed.*,
        {{ contract_violation('campaign_sends', extra_checks) }} as contract_violation,
        {{ unreadable_columns('campaign_sends') }} as unreadable_columns
    from parsed

),

{{ quarantine_reason_ctes('campaign_sends', 'checked', 'deduplicated', ['send_id']) }},

final as (

    select
        {{ base_columns('campaign_sends', source('shop', 'campaign_sends'), lower=['channel']) }}
    from deduplicated

)

select * from final
