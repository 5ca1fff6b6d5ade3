{#
    The `unit` materialization for Spark: a copy of dbt-core 1.11's
    macros/materializations/tests/unit.sql with one change: the temporary
    relation (a temporary view, made with run_query) is replaced by
    `describe query`: run_query of DDL fails with PyHive 0.7.0 on Spark 3.5
    ('NoneType' object is not iterable; docs/spark.md), and a view over the
    model's SQL makes Spark inline every CTE (see below). Applies to the
    spark adapter only. Re-copy when dbt-core is upgraded.
#}

{%- materialization unit, adapter='spark' -%}

  {% set relations = [] %}
  {% set sql_header = config.get('sql_header') if flags.REQUIRE_SQL_HEADER_IN_TEST_CONFIGS else none %}

  {% set expected_rows = config.get('expected_rows') %}
  {% set expected_sql = config.get('expected_sql') %}
  {% set tested_expected_column_names = expected_rows[0].keys() if (expected_rows | length ) > 0 else get_columns_in_query(sql) %}

  {#- Column names and types of the model's result: `describe query`, not a
      temporary view as in dbt-core. Spark substitutes every CTE into each
      reference when it analyses a command such as CREATE VIEW, which made
      the association-rules unit tests sit in planning for minutes; a
      described query keeps its CTEs (and shared_cte_condition() works). -#}
  {%- set described = run_query('describe query ' ~ get_empty_subquery_sql(sql)) -%}
  {%- set column_name_to_data_types = {} -%}
  {%- set column_name_to_quoted = {} -%}
  {%- for row in described -%}
  {%-   set column_name = row['col_name'] -%}
  {%-   if column_name and not column_name.startswith('#') -%}
  {%-     do column_name_to_data_types.update({column_name|lower: row['data_type']}) -%}
  {%-     do column_name_to_quoted.update({column_name|lower: adapter.quote(column_name)}) -%}
  {%-   endif -%}
  {%- endfor -%}

  {%- set expected_column_names_quoted = [] -%}
  {%- for column_name in tested_expected_column_names -%}
  {%-   do expected_column_names_quoted.append(column_name_to_quoted[column_name|lower]) -%}
  {%- endfor -%}

  {% if not expected_sql %}
  {%   set expected_sql = get_expected_sql(expected_rows, column_name_to_data_types, column_name_to_quoted) %}
  {% endif %}
  {% set unit_test_sql = get_unit_test_sql(sql, expected_sql, expected_column_names_quoted) %}

  {% call statement('main', fetch_result=True) -%}

    {% if sql_header %}{{ sql_header }}{% endif %}
    {{ unit_test_sql }}

  {%- endcall %}

  {{ return({'relations': relations}) }}

{%- endmaterialization -%}
