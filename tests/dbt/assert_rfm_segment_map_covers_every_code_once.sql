-- Every one of the 125 RFM codes (111 ... 555) is mapped, and nothing else is.
-- (Mapping a code twice is caught by the unique test on rfm_code.)
-- Returns the offending codes with what is wrong.

with digits as (

    select 1 as d
    union all
    select 2 as d
    union all
    select 3 as d
    union all
    select 4 as d
    union all
    select 5 as d

),

all_codes as (

    select
        {{ dbt.concat([
            'cast(r.d as ' ~ dbt.type_string() ~ ')',
            'cast(f.d as ' ~ dbt.type_string() ~ ')',
            'cast(m.d as ' ~ dbt.type_string() ~ ')',
        ]) }} as rfm_code
    from digits as r
    cross join digits as f
    cross join digits as m

),

segment_map as (

    select rfm_code from {{ ref('rfm_segment_map') }}

),

final as (

    select
        coalesce(all_codes.rfm_code, segment_map.rfm_code) as rfm_code,
        case
            when segment_map.rfm_code is null then 'code not mapped'
            else 'not an RFM code'
        end as problem
    from all_codes
    full outer join segment_map
        on all_codes.rfm_code = segment_map.rfm_code
    where all_codes.rfm_code is null or segment_map.rfm_code is null

)

select * from final
