{#
    The path options of an external table over one file or over a table's
    folder (every file of `fmt`, csv or parquet, in it and its sub-folders;
    fmt 'any': every file).
#}
{% macro spark_path_options(path, fmt, recursive) %}
    {%- set quoted = path | replace('\\', '\\\\') | replace("'", "\\'") -%}
    {%- if not recursive -%}
        {{ return("path '" ~ quoted ~ "'") }}
    {%- elif fmt == 'any' -%}
        {{ return("path '" ~ quoted ~ "', recursiveFileLookup 'true'") }}
    {%- endif -%}
    {%- set glob = [] -%}
    {%- for c in fmt -%}
        {%- do glob.append('[' ~ c ~ (c | upper) ~ ']') -%}
    {%- endfor -%}
    {{ return("path '" ~ quoted ~ "', recursiveFileLookup 'true', pathGlobFilter '*." ~ (glob | join('')) ~ "'") }}
{% endmacro %}


{# create table <file_table> over one raw file (external: the file stays where it is). #}
{% macro spark_create_file_table_sql(file_table, raw_file, dialect) %}
    {%- set options = ecommerce_segmentation.spark_path_options(raw_file.path, raw_file.format, false) -%}
    {%- if raw_file.format == 'parquet' -%}
        {{ return("create table " ~ file_table ~ " using parquet options (" ~ options ~ ")") }}
    {%- else -%}
        {{ return("create table " ~ file_table ~ " using csv options (" ~ options ~ ", "
            ~ "header 'true', inferSchema 'false', multiLine 'true', "
            ~ ecommerce_segmentation.spark_csv_dialect_options(dialect) ~ ", mode 'PERMISSIVE')") }}
    {%- endif -%}
{% endmacro %}


{# The column names of one file (describe of an external table over it alone). #}
{% macro spark_file_column_names(file_table, raw_file, dialect) %}
    {%- do adapter.execute('drop table if exists ' ~ file_table) -%}
    {%- do adapter.execute(ecommerce_segmentation.spark_create_file_table_sql(file_table, raw_file, dialect)) -%}
    {%- set names = [] -%}
    {%- for row in run_query('describe table ' ~ file_table) -%}
        {%- set name = row['col_name'] -%}
        {%- if not name or name.startswith('#') -%}
            {%- break -%}
        {%- endif -%}
        {%- do names.append(name) -%}
    {%- endfor -%}
    {%- do adapter.execute('drop table if exists ' ~ file_table) -%}
    {{ return(names) }}
{% endmacro %}


{# The relative path of a row's file, from _metadata.file_path (a URI: file:/..., s3a://...). #}
{% macro spark_relative_path_sql(raw_dir) %}
    {{ return("substring(_metadata.file_path, instr(_metadata.file_path, " ~ ecommerce_segmentation.sql_string(raw_dir ~ '/')
        ~ ") + " ~ ((raw_dir | length) + 1) ~ ")") }}
{% endmacro %}


{#
    The dialect's CSV options for Spark's reader: sep, quote, escape (the
    quote: a doubled quote), encoding (a Java charset name: cp1250,
    ISO-8859-1 for latin-1). Null tokens, number and date formats are applied
    in SQL (spark_null_tokens, dialect_value), as on DuckDB.
#}
{% macro spark_csv_dialect_options(dialect) %}
    {%- set encoding = {'latin-1': 'ISO-8859-1', 'utf-8': 'UTF-8', 'utf-16': 'UTF-16'}.get(dialect.encoding, dialect.encoding) -%}
    {{ return("sep " ~ ecommerce_segmentation.sql_string(dialect.delimiter)
        ~ ", quote " ~ ecommerce_segmentation.sql_string(dialect.quote)
        ~ ", escape " ~ ecommerce_segmentation.sql_string(dialect.quote)
        ~ ", encoding " ~ ecommerce_segmentation.sql_string(encoding)) }}
{% endmacro %}


{# A CSV value that is one of the dialect's null tokens becomes null (Spark's nullValue takes one token only). #}
{% macro spark_null_tokens(expression, dialect) %}
    {%- if dialect is none or not dialect.null_tokens -%}
        {{ return(expression) }}
    {%- endif -%}
    {%- set tokens = [] -%}
    {%- for token in dialect.null_tokens -%}
        {%- do tokens.append(ecommerce_segmentation.sql_string(token)) -%}
    {%- endfor -%}
    {{ return("case when trim(" ~ expression ~ ") in (" ~ (tokens | join(', ')) ~ ") then null else "
        ~ expression ~ " end") }}
{% endmacro %}


{#
    CSV files with one header on Spark (source: {path, recursive, filter}:
    one file, or the table's folder with the rows filtered to this group's
    files), read once into the Parquet table rows_relation (returned): the
    file's relative path (_src_file, rel_sql) and the fields of every record as
    positional string columns c1..cN (N = fields in the header), plus
    _load_error and _rejected_record for a record that could not be read,
    as the DuckDB loader does (duckdb__csv_parts):

      - wrong field count: Spark's PERMISSIVE mode keeps the record text in
        a corrupt-record column (too few fields are padded, extra fields
        cut); the record is quarantined as unparseable:csv_record, problem
        missing_columns / too_many_columns (fields counted outside quotes);
      - not UTF-8: Spark's reader replaces an invalid byte sequence by
        U+FFFD; a field holding U+FFFD makes the record unparseable:<column>
        (unparseable:csv_record when the column is not in the contract),
        problem invalid_encoding. A genuine U+FFFD in a UTF-8 file is taken
        for an encoding error too.
      - a header row that is not UTF-8 (U+FFFD or NUL in a column name, as a
        UTF-16 file gives) stops the run with an error naming the file.

    Unlike DuckDB, the line number is not known on Spark ("line": null in
    _rejected_record) and raw_line of an invalid_encoding record is the
    fields joined with commas (U+FFFD for the bad bytes). The table is
    written once (a Parquet copy), so every query of the raw view sees the
    same records; Spark's corrupt-record column must not be queried straight
    from the file (the result could depend on the columns read).
    file_table is (re)created over the source with the positional schema.
#}
{% macro spark_load_csv(source, header, table_name, raw_schema, file_table, dialect, rows_relation, rel_sql) %}
    {%- for name in header -%}
        {%- if '\ufffd' in name or '\x00' in name -%}
            {%- do adapter.execute('drop table if exists ' ~ file_table) -%}
            {{ exceptions.raise_compiler_error(
                "Raw file " ~ source.path ~ ": the header row (line 1) is not valid UTF-8. The raw data contract "
                ~ "requires UTF-8 CSV files: re-export the file as UTF-8.") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set n = header | length -%}
    {%- set contract_names = ecommerce_segmentation.contract_columns(table_name) | map(attribute='name') | list -%}
    {%- set fields = [] -%}
    {%- set positions = [] -%}
    {%- set encoding_cases = [] -%}
    {%- for name in header -%}
        {%- set key = name | replace('\ufeff', '') | trim | lower -%}
        {%- do fields.append('c' ~ loop.index ~ ' string') -%}
        {%- do positions.append('c' ~ loop.index) -%}
        {%- set reason = ('unparseable:' ~ key) if key in contract_names else 'unparseable:csv_record' -%}
        {%- do encoding_cases.append("when instr(c" ~ loop.index ~ ", '\\uFFFD') > 0 then '" ~ reason ~ "'") -%}
    {%- endfor -%}
    {%- do adapter.execute('drop table if exists ' ~ file_table) -%}
    {%- do adapter.execute(
        "create table " ~ file_table ~ " (" ~ (fields | join(', ')) ~ ", _corrupt_record string) "
        ~ "using csv options (" ~ ecommerce_segmentation.spark_path_options(source.path, 'csv', source.recursive)
        ~ ", header 'true', enforceSchema 'true', multiLine 'true', "
        ~ ecommerce_segmentation.spark_csv_dialect_options(dialect) ~ ", mode 'PERMISSIVE', "
        ~ "columnNameOfCorruptRecord '_corrupt_record')") -%}
    {%- set sep = ecommerce_segmentation.sql_string(dialect.delimiter) -%}
    {%- set field_count -%}
        (length(regexp_replace(_corrupt_record, '"[^"]*"', ''))
            - length(replace(regexp_replace(_corrupt_record, '"[^"]*"', ''), {{ sep }}, '')) + 1)
    {%- endset -%}
    {%- set joined_fields -%}
        concat_ws({{ sep }}, {% for p in positions %}coalesce({{ p }}, ''){{ ', ' if not loop.last }}{% endfor %})
    {%- endset -%}
    {%- set sql -%}
        create table {{ rows_relation }} using parquet as
        with records as (
            select
                {{ positions | join(', ') }},
                _corrupt_record,
                {{ rel_sql }} as _src_file,
                case
                    when _corrupt_record is not null then 'unparseable:csv_record'
                    {{ encoding_cases | join('\n                    ') }}
                end as _load_error
            from {{ file_table }}
            {%- if source.filter %}
            where {{ source.filter }}
            {%- endif %}
        )
        select
            {{ positions | join(', ') }},
            _src_file,
            _load_error,
            case when _load_error is not null then to_json(named_struct(
                'line', cast(null as bigint),
                'problem', case
                    when _corrupt_record is null then 'invalid_encoding'
                    when {{ field_count }} < {{ n }} then 'missing_columns'
                    when {{ field_count }} > {{ n }} then 'too_many_columns'
                    else 'malformed_record'
                end,
                'message', case
                    when _corrupt_record is null then 'invalid UTF-8 byte sequence in a field'
                    else concat('expected {{ n }} fields, found ', cast({{ field_count }} as string))
                end,
                'raw_line', coalesce(_corrupt_record, {{ joined_fields }})
            ), map('ignoreNullFields', 'false')) end as _rejected_record
        from records
    {%- endset -%}
    {%- do adapter.execute('drop table if exists ' ~ rows_relation) -%}
    {%- do adapter.execute(sql) -%}
    {%- set rejected = run_query('select count(*) from ' ~ rows_relation ~ ' where _load_error is not null').columns[0].values()[0] -%}
    {%- if rejected > 0 -%}
        {{- log('Raw CSV file(s) ' ~ source.path ~ ': ' ~ rejected ~ ' record(s) could not be read as CSV; '
            ~ 'they are quarantined with reason unparseable:<column> or unparseable:csv_record', info=true) -}}
    {%- endif -%}
    {{ return(rows_relation) }}
{% endmacro %}


{#
    The size in bytes of one file, or none when it does not exist. An external
    binaryFile table over a path that does not exist reads as empty (Spark
    ignores a missing root path of a catalog table), so this needs no query
    that can fail. Names starting with _ or . are fine: only files found by
    listing a folder are filtered by those rules, not the path given.
#}
{% macro spark_file_size(path, raw_schema) %}
    {%- set probe = raw_schema ~ '._file_probe' -%}
    {%- set quoted_path = path | replace('\\', '\\\\') | replace("'", "\\'") -%}
    {%- do adapter.execute('drop table if exists ' ~ probe) -%}
    {%- do adapter.execute("create table " ~ probe ~ " using binaryFile options (path '" ~ quoted_path ~ "')") -%}
    {%- set rows = run_query('select length from ' ~ probe) -%}
    {%- do adapter.execute('drop table if exists ' ~ probe) -%}
    {%- if rows | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(rows.columns[0].values()[0]) }}
{% endmacro %}
