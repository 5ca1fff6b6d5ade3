{#
    Helpers of the integer-coded baskets (models/intermediate/basket/int_baskets.sql,
    docs/association-rules.md "Baskets"): one row per basket holding the
    list (DuckDB) / array (Spark) of its distinct item codes. Every engine's
    variant is in this file.
#}


{#-
    basket_incremental_strategy: how int_baskets applies a build's rows.
    DuckDB: delete+insert on the basket key (order_id): only new and changed
    baskets are written, and removal markers (item_codes null) delete
    baskets that are gone (basket_remove_markers). Spark keeps Parquet
    tables, which cannot delete rows (docs/spark.md): insert_overwrite
    without a partition replaces the whole table with every basket.
-#}
{% macro basket_incremental_strategy() -%}
    {{- return(adapter.dispatch('basket_incremental_strategy', 'ecommerce_segmentation')()) -}}
{%- endmacro %}

{% macro default__basket_incremental_strategy() -%}
    {{- return('insert_overwrite') -}}
{%- endmacro %}

{% macro duckdb__basket_incremental_strategy() -%}
    {{- return('delete+insert') -}}
{%- endmacro %}


{#- The distinct values of code_column in a group, ascending, as one list / array. -#}
{% macro basket_code_list(code_column) -%}
    {{- return(adapter.dispatch('basket_code_list', 'ecommerce_segmentation')(code_column)) -}}
{%- endmacro %}

{% macro default__basket_code_list(code_column) -%}
    array_sort(collect_set({{ code_column }}))
{%- endmacro %}

{% macro duckdb__basket_code_list(code_column) -%}
    list_sort(list_distinct(list({{ code_column }})))
{%- endmacro %}


{#- One row per element of a list / array column (in a select list). -#}
{% macro basket_list_elements(list_column) -%}
    {{- return(adapter.dispatch('basket_list_elements', 'ecommerce_segmentation')(list_column)) -}}
{%- endmacro %}

{% macro default__basket_list_elements(list_column) -%}
    explode({{ list_column }})
{%- endmacro %}

{% macro duckdb__basket_list_elements(list_column) -%}
    unnest({{ list_column }})
{%- endmacro %}


{#-
    basket_rows_to_write: the body of int_baskets' last CTE: which of the
    current baskets (baskets_cte: order_id, item_codes, basket_size) the
    build writes.
      - first build, full refresh, and every Spark build (insert_overwrite):
        all of them;
      - incremental DuckDB build (delete+insert on order_id): the baskets
        that are new or whose item codes changed, plus one removal marker
        (item_codes null) per stored basket that is no longer a basket
        (order cancelled, its lines gone, or the order gone), which the
        post-hook basket_remove_markers deletes. Unchanged baskets are not
        rewritten.
-#}
{% macro basket_rows_to_write(baskets_cte) -%}
    {{- return(adapter.dispatch('basket_rows_to_write', 'ecommerce_segmentation')(baskets_cte)) -}}
{%- endmacro %}

{% macro default__basket_rows_to_write(baskets_cte) -%}
    select
        order_id,
        item_codes,
        basket_size
    from {{ baskets_cte }}
{%- endmacro %}

{% macro duckdb__basket_rows_to_write(baskets_cte) -%}
{%- if is_incremental() %}
    select
        {{ baskets_cte }}.order_id,
        {{ baskets_cte }}.item_codes,
        {{ baskets_cte }}.basket_size
    from {{ baskets_cte }}
    left join {{ this }} as stored_baskets
        on {{ baskets_cte }}.order_id = stored_baskets.order_id
    where stored_baskets.order_id is null
        or stored_baskets.item_codes != {{ baskets_cte }}.item_codes

    union all

    select
        stored_baskets.order_id,
        cast(null as integer[]) as item_codes,
        cast(null as integer) as basket_size
    from {{ this }} as stored_baskets
    anti join {{ baskets_cte }}
        on stored_baskets.order_id = {{ baskets_cte }}.order_id
{%- else %}
    {{ ecommerce_segmentation.default__basket_rows_to_write(baskets_cte) }}
{%- endif %}
{%- endmacro %}


{#- Post-hook of int_baskets: delete the removal markers (DuckDB only; no markers elsewhere). -#}
{% macro basket_remove_markers(relation) -%}
    {{- return(adapter.dispatch('basket_remove_markers', 'ecommerce_segmentation')(relation)) -}}
{%- endmacro %}

{% macro default__basket_remove_markers(relation) -%}
{%- endmacro %}

{% macro duckdb__basket_remove_markers(relation) -%}
    delete from {{ relation }} where item_codes is null
{%- endmacro %}


{#-
    basket_fixture: rows of int_baskets for a unit test (`format: sql`), from
    a dict {order_id: [item codes]}: lists and arrays have no literal that
    both engines read, so the fixture is rendered per engine.
-#}
{% macro basket_fixture(baskets) -%}
    {%- for order_id, codes in baskets.items() -%}
    {%- if not loop.first %}
    union all
    {% endif -%}
    select
        '{{ order_id }}' as order_id,
        {{ ecommerce_segmentation.basket_code_list_literal(codes) }} as item_codes,
        cast({{ codes | length }} as {{ dbt.type_int() }}) as basket_size
    {%- endfor %}
{%- endmacro %}

{% macro basket_code_list_literal(codes) -%}
    {{- return(adapter.dispatch('basket_code_list_literal', 'ecommerce_segmentation')(codes)) -}}
{%- endmacro %}

{% macro default__basket_code_list_literal(codes) -%}
    array({% for code in codes %}cast({{ code }} as int){{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro duckdb__basket_code_list_literal(codes) -%}
    cast([{{ codes | join(', ') }}] as integer[])
{%- endmacro %}
