{#
    step_tables(first_step_sql, step_sql, max_steps, stop_sql=none): runs an
    iterative computation as one table per step while the calling model
    builds, and returns the relation of the last step made (the model selects
    from it). The step-driving pattern of scorecard_fit_newton_steps, generalised: a
    variable number of steps and an early stop.
    - first_step_sql makes step 0.
    - step_sql makes step k (1 .. max_steps) from step k - 1: the text
      __previous_step_table__ in it is replaced by step k - 1's table and
      __step_number__ by k.
    - stop_sql (optional): a query on step k's table (named
      __step_table__ in it, __step_number__ = k) returning one row and one
      column; a true (or 1) value stops after step k. Without it every step
      runs.
    Step k's table is <model>__step_<k> in the model's schema; each step's
    predecessor is dropped once the step exists, and the last step made is
    renamed <model>__step_final, the relation returned (so a compile, which
    makes no tables, names it too); drop_step_tables (the model's post-hook)
    drops it. Tables are made only when a run or build executes the model. Why: as one
    query a chain of steps does not scale (DuckDB plans it in exponential
    time; Spark's analyzer gives up, spark.sql.analyzer.maxIterations).
#}
{% macro step_tables(first_step_sql, step_sql, max_steps, stop_sql=none) %}
    {%- set final = ecommerce_segmentation.step_table_relation('final') -%}
    {%- set state = namespace(last=none, stopped=false) -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- for step in range(0, max_steps + 1) -%}
        {%- if not state.stopped -%}
            {%- set relation = ecommerce_segmentation.step_table_relation(step) -%}
            {%- do adapter.drop_relation(relation) -%}
            {%- if step == 0 -%}
                {%- set sql = first_step_sql -%}
            {%- else -%}
                {%- set previous = ecommerce_segmentation.step_table_relation(step - 1) -%}
                {%- set sql = step_sql
                    | replace('__previous_step_table__', previous | string)
                    | replace('__step_number__', step | string) -%}
            {%- endif -%}
            {#- adapter.execute without fetching: Spark's Thrift server returns no result set for a DDL -#}
            {%- do adapter.execute(create_table_as(false, relation, sql), auto_begin=false, fetch=false) -%}
            {%- if step > 0 -%}
                {%- do adapter.drop_relation(previous) -%}
            {%- endif -%}
            {%- set state.last = relation -%}
            {%- if stop_sql is not none and step > 0 -%}
                {%- set stop_query = stop_sql
                    | replace('__step_table__', relation | string)
                    | replace('__step_number__', step | string) -%}
                {%- set stop_value = run_query(stop_query).columns[0].values()[0] -%}
                {%- if stop_value in (true, 1) -%}
                    {%- set state.stopped = true -%}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
        {%- endfor -%}
        {%- do adapter.drop_relation(final) -%}
        {%- do adapter.rename_relation(state.last, final) -%}
    {%- endif -%}
    {{- return(final) -}}
{% endmacro %}


{#
    step_table_relation(step): the table of one step of step_tables:
    <model>__step_<step> beside the model (step: a number or 'final').
#}
{% macro step_table_relation(step) %}
    {{- return(api.Relation.create(
        database=this.database, schema=this.schema,
        identifier=this.identifier ~ '__step_' ~ step, type='table')) -}}
{% endmacro %}


{#
    drop_step_tables(): the post-hook of a model that called step_tables:
    drops its last step's table (<model>__step_final) once the model's own
    table holds its rows.
#}
{% macro drop_step_tables() %}
    {%- if execute -%}
        {%- do adapter.drop_relation(ecommerce_segmentation.step_table_relation('final')) -%}
    {%- endif -%}
    select 1
{% endmacro %}
