{#
    quarantine_limit_checks(): the verdicts of the quarantine limits, run at
    execute time by the model quarantine_limits (which refs every
    stg_shop__<table>, quarantine_shop__<table> and base_shop__<table>, so it
    runs after them). A list of {check_id, table_name, column_name,
    checked_rows, affected_rows, share, level, message}, one per contract
    table (column_name null: the quarantined share) and one per optional
    column that some staged row could not read (column_name set:
    the unreadable share). share is a fraction 0-1; level is 'ok', 'warn' or
    'fail'.
      table: quarantined rows (reason duplicate_key excepted: a repeated
        delivery is dropped on purpose, nothing is lost) / raw rows (staged
        + quarantined);
      column: staged rows whose unreadable_columns names the column (its
        value read as null, the row kept) / staged rows.
    Limits (dbt vars, dbt_project.yml), the same for both kinds:
      quarantine_warn_share (default 0.01): above it, a warning in the log;
      quarantine_fail_share (default 0.20): above it, the model fails;
      quarantine_min_rows (default 100): a table with fewer rows only
        warns, whatever its share (a handful of rows says little);
      quarantine_share_overrides: per table, any of warn_share, fail_share,
        min_rows, e.g. {events: {fail_share: 0.5}}.
    The message names the table (and column), its share, the top reasons
    with counts, three example values (for a column: its raw values, from
    the raw_record of base_shop__<table>) and, when it can tell, the likely cause (decimal
    commas, dates as DD.MM.YYYY, a file that is not UTF-8, a record that is
    not comma-separated) and the _dialect.yml setting to fix.
    Portable SQL only (counts and the raw text), so it runs unchanged on
    DuckDB and Spark.
#}
{% macro quarantine_limit_checks() %}
    {%- set checks = [] -%}
    {%- for table_name in ecommerce_segmentation.contract_table_names() -%}
        {#- staged rows (a count: no column read), and per column the staged rows naming it in
            unreadable_columns (grouped: only the rows with one, not every staged row) -#}
        {%- set staged = ecommerce_segmentation.project_model_relation('stg_shop__' ~ table_name) -%}
        {%- set staged_rows = run_query('select count(*) from ' ~ staged).columns[0].values()[0] | int -%}
        {%- do checks.append(ecommerce_segmentation.quarantine_share_verdict(table_name, staged_rows)) -%}
        {%- set counts = {} -%}
        {%- for row in run_query('select unreadable_columns, count(*) from ' ~ staged
            ~ ' where unreadable_columns is not null group by unreadable_columns') -%}
            {%- for name in (row[0] or '').split(',') if name -%}
                {%- do counts.update({name: counts.get(name, 0) + (row[1] | int)}) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for column in ecommerce_segmentation.contract_columns(table_name) if counts.get(column.name, 0) > 0 -%}
            {%- do checks.append(ecommerce_segmentation.unreadable_share_verdict(
                table_name, column.name, staged_rows, counts[column.name])) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(checks) }}
{% endmacro %}


{# The level of a share: 'ok', 'warn' or 'fail' (fail only from min_rows rows on). #}
{% macro quarantine_level(share, rows, limits) %}
    {%- if share > limits.fail_share and rows >= limits.min_rows -%}
        {{ return('fail') }}
    {%- elif share > limits.warn_share -%}
        {{ return('warn') }}
    {%- endif -%}
    {{ return('ok') }}
{% endmacro %}


{# "above the limit of 20 %" or "above the warning limit of 1 %". #}
{% macro quarantine_limit_text(level, limits) %}
    {{ return("above the limit of " ~ '%g' | format(limits.fail_share * 100) ~ " %" if level == 'fail'
        else "above the warning limit of " ~ '%g' | format(limits.warn_share * 100) ~ " %") }}
{% endmacro %}


{#
    {check_id, table_name, column_name, checked_rows, affected_rows, share,
    level, message} for one optional column of one table: the share of
    staged rows whose unreadable_columns names it.
#}
{% macro unreadable_share_verdict(table_name, column_name, staged_rows, bad_rows) %}
    {%- set base = ecommerce_segmentation.project_model_relation('base_shop__' ~ table_name) -%}
    {%- set flagged = "concat(',', unreadable_columns, ',') like '%," ~ column_name ~ ",%'" -%}
    {%- set verdict = {'check_id': table_name ~ ':' ~ column_name, 'table_name': table_name,
        'column_name': column_name, 'checked_rows': staged_rows, 'affected_rows': bad_rows,
        'share': (bad_rows / staged_rows if staged_rows else 0), 'level': 'ok', 'message': ''} -%}
    {%- if bad_rows == 0 -%}
        {{ return(verdict) }}
    {%- endif -%}
    {%- set limits = ecommerce_segmentation.quarantine_limits(table_name) -%}
    {%- set level = ecommerce_segmentation.quarantine_level(verdict.share, staged_rows, limits) -%}
    {%- do verdict.update({'level': level}) -%}
    {%- if level == 'ok' -%}
        {{ return(verdict) }}
    {%- endif -%}
    {%- set examples = [] -%}
    {%- set problems = [] -%}
    {#- the raw values: base_shop__<table> keeps a flagged row's raw record (raw_record, JSON text) -#}
    {%- for row in run_query('select ' ~ ecommerce_segmentation.json_text_field('raw_record', column_name) ~ ' from ' ~ base
        ~ ' where quarantine_reason is null and ' ~ flagged ~ ' order by 1 limit 100') -%}
        {#- null: a value not in the file's encoding, read as null by the loader -#}
        {%- set example = (row[0] if row[0] is not none else '(bytes not in the file encoding)') | string -%}
        {%- if example not in examples and examples | length < 3 -%}
            {%- do examples.append(example) -%}
            {%- do problems.append('invalid_encoding' if row[0] is none else '') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set hint = ecommerce_segmentation.quarantine_hint(table_name, 'unreadable:' ~ column_name, examples, problems) -%}
    {%- do verdict.update({'message': "Raw table '" ~ table_name ~ "', column '" ~ column_name ~ "': "
        ~ bad_rows ~ " of " ~ staged_rows ~ " staged rows (" ~ '%.1f' | format(verdict.share * 100)
        ~ " %) unreadable, read as null, "
        ~ ecommerce_segmentation.quarantine_limit_text(level, limits)
        ~ ". Examples: " ~ (examples | map('tojson') | join(', '))
        ~ (". Likely cause: " ~ hint if hint else "")
        ~ ". See the column unreadable_columns of staging.stg_shop__" ~ table_name
        ~ " (limits: vars quarantine_warn_share, quarantine_fail_share, quarantine_min_rows, quarantine_share_overrides)."}) -%}
    {{ return(verdict) }}
{% endmacro %}


{# The limits of one table: {warn_share, fail_share, min_rows}. #}
{% macro quarantine_limits(table_name) %}
    {%- set overrides = (var('quarantine_share_overrides', {}) or {}).get(table_name, {}) or {} -%}
    {{ return({
        'warn_share': overrides.get('warn_share', var('quarantine_warn_share', 0.01)) | float,
        'fail_share': overrides.get('fail_share', var('quarantine_fail_share', 0.20)) | float,
        'min_rows': overrides.get('min_rows', var('quarantine_min_rows', 100)) | int,
    }) }}
{% endmacro %}


{# The model relation of a node of this project, by name. #}
{% macro project_model_relation(model_name) %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name -%}
        {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ return(none) }}
{% endmacro %}


{#
    {check_id, table_name, column_name (none), checked_rows (raw rows),
    affected_rows (quarantined rows), share, level, message} for one table
    with staged_rows rows in stg_shop__<table_name>: counts, top reasons,
    examples and the likely cause.
#}
{% macro quarantine_share_verdict(table_name, staged_rows) %}
    {%- set quarantine = ecommerce_segmentation.project_model_relation('quarantine_shop__' ~ table_name) -%}
    {%- set reasons = run_query(
        "select quarantine_reason, count(*) as row_count from " ~ quarantine
        ~ " group by quarantine_reason order by row_count desc, quarantine_reason") -%}
    {%- set counted = [] -%}
    {%- set all_quarantined = [] -%}
    {%- for row in reasons -%}
        {%- do all_quarantined.append(row[1] | int) -%}
        {%- if row[0] != 'duplicate_key' -%}
            {%- do counted.append({'reason': row[0], 'rows': row[1] | int}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set raw_rows = staged_rows + (all_quarantined | sum) -%}
    {%- set bad_rows = counted | sum(attribute='rows') -%}
    {%- set share = bad_rows / raw_rows if raw_rows else 0 -%}
    {%- set verdict = {'check_id': table_name, 'table_name': table_name, 'column_name': none,
        'checked_rows': raw_rows, 'affected_rows': bad_rows, 'share': share, 'level': 'ok', 'message': ''} -%}
    {%- if bad_rows == 0 -%}
        {{ return(verdict) }}
    {%- endif -%}
    {%- set limits = ecommerce_segmentation.quarantine_limits(table_name) -%}
    {%- set level = ecommerce_segmentation.quarantine_level(share, raw_rows, limits) -%}
    {%- do verdict.update({'level': level}) -%}
    {%- if level == 'ok' -%}
        {{ return(verdict) }}
    {%- endif -%}
    {%- set top = counted[0].reason -%}
    {%- set examples = [] -%}
    {%- set problems = [] -%}
    {#- three distinct example values, from the first 100 rows in raw_record order -#}
    {%- for row in run_query("select raw_record from " ~ quarantine ~ " where quarantine_reason = '"
        ~ top ~ "' order by raw_record limit 100") -%}
        {%- set record = fromjson(row[0]) if row[0] else {} -%}
        {%- set example = ecommerce_segmentation.quarantine_example(record, row[0], top) -%}
        {%- if example not in examples and examples | length < 3 -%}
            {%- do problems.append(record.get('problem', '') if record is mapping else '') -%}
            {%- do examples.append(example) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set hint = ecommerce_segmentation.quarantine_hint(table_name, top, examples, problems) -%}
    {%- set listed = [] -%}
    {%- for item in counted[:3] -%}
        {%- do listed.append(item.reason ~ ' (' ~ item.rows ~ ')') -%}
    {%- endfor -%}
    {%- set message = "Raw table '" ~ table_name ~ "': " ~ bad_rows ~ " of " ~ raw_rows ~ " rows ("
        ~ '%.1f' | format(share * 100) ~ " %) quarantined, "
        ~ ecommerce_segmentation.quarantine_limit_text(level, limits)
        ~ ". Top reasons: " ~ (listed | join(', ')) ~ ". Examples (" ~ top ~ "): "
        ~ (examples | map('tojson') | join(', '))
        ~ (". Likely cause: " ~ hint if hint else "")
        ~ ". See quarantine.quarantine_shop__" ~ table_name
        ~ " (limits: vars quarantine_warn_share, quarantine_fail_share, quarantine_min_rows, quarantine_share_overrides)." -%}
    {%- do verdict.update({'message': message}) -%}
    {{ return(verdict) }}
{% endmacro %}


{#
    One example value of a quarantined row, as text: the value of the column
    the reason names (unparseable:ordered_at -> ordered_at), the raw line of
    a CSV record that could not be read, else the whole raw record.
#}
{% macro quarantine_example(record, raw_record, reason) %}
    {%- set column = reason.split(':')[1] if ':' in reason else '' -%}
    {%- if record is mapping and 'raw_line' in record -%}
        {{ return((record.raw_line or '') | string) }}
    {%- elif record is mapping and column and column in record -%}
        {{ return(record[column] | string) }}
    {%- endif -%}
    {{ return(raw_record | string) }}
{% endmacro %}


{# The likely cause of the top quarantine reason, judged from its examples, or ''. #}
{% macro quarantine_hint(table_name, reason, examples, problems) %}
    {%- set re = modules.re -%}
    {%- set column = reason.split(':')[1] if ':' in reason else '' -%}
    {%- set types = {} -%}
    {%- for c in ecommerce_segmentation.contract_columns(table_name) -%}
        {%- do types.update({c.name: c.contract_type}) -%}
    {%- endfor -%}
    {%- set ctype = types.get(column, '') -%}
    {%- set matches = {'comma': 0, 'dotted': 0, 'slashed': 0, 'encoding': 0, 'semicolon': 0} -%}
    {%- for value in examples -%}
        {%- if re.match('^\\s*[-+]?[0-9 .]*[0-9],[0-9]+\\s*$', value) -%}
            {%- do matches.update({'comma': matches.comma + 1}) -%}
        {%- endif -%}
        {%- if re.match('^\\s*[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{4}', value) -%}
            {%- do matches.update({'dotted': matches.dotted + 1}) -%}
        {%- endif -%}
        {%- if re.match('^\\s*[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}', value) -%}
            {%- do matches.update({'slashed': matches.slashed + 1}) -%}
        {%- endif -%}
        {%- if problems[loop.index0] == 'invalid_encoding' or '\ufffd' in value -%}
            {%- do matches.update({'encoding': matches.encoding + 1}) -%}
        {%- endif -%}
        {%- if value.count(';') >= 2 or value.count('\t') >= 2 -%}
            {%- do matches.update({'semicolon': matches.semicolon + 1}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set n = examples | length -%}
    {%- if n == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- if ctype == 'decimal' and matches.comma == n -%}
        {{ return("values look like decimal commas: set decimal_separator: ',' in _dialect.yml") }}
    {%- elif ctype in ('date', 'timestamp') and matches.dotted == n -%}
        {{ return("dates look like DD.MM.YYYY: set " ~ ctype ~ "_format: '%d.%m.%Y"
            ~ (" %H:%M:%S" if ctype == 'timestamp' else "") ~ "' in _dialect.yml") }}
    {%- elif ctype in ('date', 'timestamp') and matches.slashed == n -%}
        {{ return("dates look like DD/MM/YYYY or MM/DD/YYYY: set " ~ ctype ~ "_format (e.g. '%d/%m/%Y') in _dialect.yml") }}
    {%- elif matches.encoding == n -%}
        {{ return("file is not UTF-8: looks like Windows-1250 (Polish, Czech) or another single-byte code page: "
            ~ "set encoding (e.g. CP1250) in _dialect.yml") }}
    {%- elif matches.semicolon == n -%}
        {{ return("records look ';'- or tab-separated: set delimiter in _dialect.yml") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
