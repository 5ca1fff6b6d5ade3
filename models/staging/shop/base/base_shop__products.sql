{%- set extra_checks = [] -%}

with source as (

    select * from {{ source('shop', 'products') }}

),

{# every raw value normalised once (cleaned__<column>), then parsed from that #}
cleaned as (

    select
        {{ cleaned_columns('products') }}
        source.*
    from source

),

parsed as (

    select
        {{ parsed_columns('products') }}
        cleaned.*
    from cleaned

),

checked as (

    select
        parsed.*,
        {{ contract_violation('products', extra_checks) }} as contract_violation,
        {{ unreadable_columns('products') }} as unreadable_columns
    from parsed

),

{#- an entity: a repeated product_id within one file is a duplicate_key (the first delivered copy kept);
    in a later file it is a new version of the product (stg_shop__products keeps the latest) -#}
{{ quarantine_reason_ctes('products', 'checked', 'deduplicated', ['product_id'], per_file=true) }},

final as (

    select
        {{ base_columns('products', source('shop', 'products'), lower=['category']) }}
    from deduplicated

)

select * from final
