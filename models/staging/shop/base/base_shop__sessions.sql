with source as (

    select * from {{ source('shop', 'sessions') }}

),

checked as (

    select
        source.*,
        {{ contract_violation('sessions') }} as contract_violation
    from source

),

final as (

    select
        checked.*,
        {{ quarantine_reason('sessions', ['session_id']) }} as quarantine_reason
    from checked

)

select * from final
