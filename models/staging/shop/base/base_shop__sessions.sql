with source as (

    select * from {{ source('shop', 'sessions') }}

),

parsed as (

    select
        {{ parsed_columns('sessions') }}
        source.*
    from source

),

checked as (

    select
        parsed.*,
        {{ contract_violation('sessions') }} as contract_violation,
        {{ unreadable_columns('sessions') }} as unreadable_columns
    from parsed

),

{{ quarantine_reason_ctes('sessions', 'checked', 'deduplicated', ['session_id']) }},

final as (

    select
        {{ base_columns('sessions', source('shop', 'sessions'), lower=['traffic_source', 'device']) }}
    from deduplicated

)

select * from final
