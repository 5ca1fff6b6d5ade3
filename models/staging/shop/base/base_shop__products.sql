{%- set extra_checks = [] -%}

with source as (

    select * from {{ source('shop', 'products') }}

),

parsed as (

    select
        {{ parsed_columns('products') }}
        source.*
    from source

),

checked as (

    select
        parsed.*,
        {{ contract_violation('products', extra_checks) }} as contract_violation,
        {{ unreadable_columns('products') }} as unreadable_columns
    from parsed

),

{{ quarantine_reason_ctes('products', 'checked', 'deduplicated', ['product_id']) }},

final as (

    select
        {{ base_columns('products', source('shop', 'products'), lower=['category']) }}
    from deduplicated

)

select * from final
