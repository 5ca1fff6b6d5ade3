{#-
    The quarantine limits (issue #11 item 10), one row per check: per contract
    table the quarantined share of its raw rows, and per optional column that
    some staged row could not read the unreadable share of its staged rows
    (macro quarantine_limit_checks, macros/loading/quarantine_limits.sql,
    computes them at execute time from the models below). Above
    var('quarantine_warn_share') a warning in the log; above
    var('quarantine_fail_share') (tables of var('quarantine_min_rows') rows or
    more) this model fails with the message, so dbt counts it as an error and
    the build fails. The refs below make it run after every model it reads.
-#}
-- depends_on: {{ ref('stg_shop__orders') }}
-- depends_on: {{ ref('quarantine_shop__orders') }}
-- depends_on: {{ ref('base_shop__orders') }}
-- depends_on: {{ ref('stg_shop__order_items') }}
-- depends_on: {{ ref('quarantine_shop__order_items') }}
-- depends_on: {{ ref('base_shop__order_items') }}
-- depends_on: {{ ref('stg_shop__exchange_rates') }}
-- depends_on: {{ ref('quarantine_shop__exchange_rates') }}
-- depends_on: {{ ref('base_shop__exchange_rates') }}
-- depends_on: {{ ref('stg_shop__customers') }}
-- depends_on: {{ ref('quarantine_shop__customers') }}
-- depends_on: {{ ref('base_shop__customers') }}
-- depends_on: {{ ref('stg_shop__products') }}
-- depends_on: {{ ref('quarantine_shop__products') }}
-- depends_on: {{ ref('base_shop__products') }}
-- depends_on: {{ ref('stg_shop__returns') }}
-- depends_on: {{ ref('quarantine_shop__returns') }}
-- depends_on: {{ ref('base_shop__returns') }}
-- depends_on: {{ ref('stg_shop__sessions') }}
-- depends_on: {{ ref('quarantine_shop__sessions') }}
-- depends_on: {{ ref('base_shop__sessions') }}
-- depends_on: {{ ref('stg_shop__events') }}
-- depends_on: {{ ref('quarantine_shop__events') }}
-- depends_on: {{ ref('base_shop__events') }}
-- depends_on: {{ ref('stg_shop__campaign_sends') }}
-- depends_on: {{ ref('quarantine_shop__campaign_sends') }}
-- depends_on: {{ ref('base_shop__campaign_sends') }}
{% set checked_tables = [
    'orders', 'order_items', 'exchange_rates', 'customers', 'products', 'returns',
    'sessions', 'events', 'campaign_sends'] -%}
{%- set checks = [] -%}
{#- the checks read the built models: only when this model is built (dbt build / run), not on dbt compile -#}
{%- if execute and flags.WHICH in ('build', 'run') -%}
    {%- for table_name in contract_table_names() if table_name not in checked_tables -%}
        {{ exceptions.raise_compiler_error("quarantine_limits: the contract table '" ~ table_name
            ~ "' is not in its depends_on list") }}
    {%- endfor -%}
    {%- set checks = quarantine_limit_checks() -%}
    {%- set failed = [] -%}
    {%- for check in checks -%}
        {%- if check.level == 'fail' -%}
            {%- do failed.append(check.message) -%}
        {%- elif check.level == 'warn' -%}
            {{- log('WARNING: ' ~ check.message, info=true) -}}
        {%- endif -%}
    {%- endfor -%}
    {%- if failed -%}
        {{ exceptions.raise_compiler_error(failed | join('\n')) }}
    {%- endif -%}
{%- endif -%}

with checks as (

    {% for check in checks -%}
    select
        {{ dbt.string_literal(check.check_id) }} as check_id,
        {{ dbt.string_literal(check.table_name) }} as table_name,
        {% if check.column_name %}{{ dbt.string_literal(check.column_name) }}{% else %}cast(null as {{ dbt.type_string() }}){% endif %} as column_name,
        cast({{ check.checked_rows }} as {{ dbt.type_bigint() }}) as checked_rows,
        cast({{ check.affected_rows }} as {{ dbt.type_bigint() }}) as affected_rows,
        cast({{ '%.6f' | format(check.share) }} as decimal(9, 6)) as affected_share,
        {{ dbt.string_literal(check.level) }} as check_level,
        {% if check.message %}{{ dbt.string_literal(dbt.escape_single_quotes(check.message)) }}{% else %}cast(null as {{ dbt.type_string() }}){% endif %} as check_message
    {% if not loop.last %}union all
    {% endif -%}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as check_id,
            cast(null as {{ dbt.type_string() }}) as table_name,
            cast(null as {{ dbt.type_string() }}) as column_name,
            cast(null as {{ dbt.type_bigint() }}) as checked_rows,
            cast(null as {{ dbt.type_bigint() }}) as affected_rows,
            cast(null as decimal(9, 6)) as affected_share,
            cast(null as {{ dbt.type_string() }}) as check_level,
            cast(null as {{ dbt.type_string() }}) as check_message
        where 1 = 0
    {%- endfor %}

),

final as (

    select * from checks

)

select * from final
