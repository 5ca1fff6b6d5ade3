{#
    scorecard_fit_step_tables(first_step_sql, step_sql, iterations): runs an
    iterative fit as one table per step while the calling model builds, and
    returns the relation of the last step (the model selects from it).
    first_step_sql makes step 0; step_sql makes step k from step k - 1, named
    __previous_step__ in its text. Step k's table is
    <model>__fit_step_<k> in the model's schema; each step's predecessor is
    dropped once the step exists, and the last one by
    drop_scorecard_fit_step_table (the model's post-hook). Tables are made
    only when a run or build executes the model; a compile only names the
    last step. Why: as one query the chain of steps does not scale (DuckDB
    plans it in exponential time; Spark's analyzer gives up,
    spark.sql.analyzer.maxIterations).
#}
{% macro scorecard_fit_step_tables(first_step_sql, step_sql, iterations) %}
    {%- set last = ecommerce_segmentation.scorecard_fit_step_relation(iterations) -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- for step in range(0, iterations + 1) -%}
            {%- set relation = ecommerce_segmentation.scorecard_fit_step_relation(step) -%}
            {%- do adapter.drop_relation(relation) -%}
            {%- if step == 0 -%}
                {%- set sql = first_step_sql -%}
            {%- else -%}
                {%- set previous = ecommerce_segmentation.scorecard_fit_step_relation(step - 1) -%}
                {%- set sql = step_sql | replace('__previous_step__', previous | string) -%}
            {%- endif -%}
            {#- adapter.execute without fetching: Spark's Thrift server returns no result set for a DDL -#}
            {%- do adapter.execute(create_table_as(false, relation, sql), auto_begin=false, fetch=false) -%}
            {%- if step > 0 -%}
                {%- do adapter.drop_relation(previous) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(last) -}}
{% endmacro %}


{#
    scorecard_fit_step_relation(step): the table of one step of
    scorecard_fit_step_tables: <model>__fit_step_<step> beside the model.
#}
{% macro scorecard_fit_step_relation(step) %}
    {{- return(api.Relation.create(
        database=this.database, schema=this.schema,
        identifier=this.identifier ~ '__fit_step_' ~ step, type='table')) -}}
{% endmacro %}


{#
    drop_scorecard_fit_step_table(iterations): the post-hook of the model
    that called scorecard_fit_step_tables: drops the last step's table once
    the model's own table holds its rows.
#}
{% macro drop_scorecard_fit_step_table(iterations) %}
    {%- if execute -%}
        {%- do adapter.drop_relation(ecommerce_segmentation.scorecard_fit_step_relation(iterations)) -%}
    {%- endif -%}
    select 1
{% endmacro %}
