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

final as (

    select
        checked.*,
        {{ quarantine_reason('sessions', ['session_id']) }} as quarantine_reason
    from checked

)

select * from final
