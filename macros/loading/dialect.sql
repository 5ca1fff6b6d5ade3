{#
    The raw folder's dialect (docs/raw-data-contract.md, "The folder's
    dialect"): an optional file <raw_data_dir>/_dialect.yml that says how the
    shop's CSV files are written. Keys (all optional), for the whole folder
    and per table under `tables: {<table>: {...}}`:
      delimiter          one character, default ','
      quote              one character, default '"' (also the escape: "")
      encoding           default UTF-8; e.g. CP1250 / windows-1250, latin-1
      decimal_separator  '.' (default) or ','
      thousands_separator  '' (default), ' ', '.', ',' or "'" (decimal and
                         whole-number columns); ' ' also accepts a no-break
                         space (U+00A0) and a narrow no-break space (U+202F)
      date_format        strptime pattern of date columns, e.g. '%d.%m.%Y'
      timestamp_format   strptime pattern of timestamp columns, e.g.
                         '%d.%m.%Y %H:%M'; a timestamp value that does not
                         match it is also tried with date_format (midnight)
      null_tokens        list of texts read as null (CSV), e.g. ['NULL', '-']
    The loader turns dialect values into the contract's canonical text
    (49,99 -> 49.99; 31.12.2024 -> 2024-12-31), so staging needs no dialect
    knowledge; a value that does not match stays as it is and staging
    quarantines it as unparseable:<column>. Anything else in the file (an
    unknown key, a delimiter of two characters, a table outside the
    contract) stops the run with an error naming the file.
#}

{% macro dialect_keys() %}
    {{ return(['delimiter', 'quote', 'encoding', 'decimal_separator', 'thousands_separator',
               'date_format', 'timestamp_format', 'null_tokens']) }}
{% endmacro %}


{#
    parse_dialect(text, path): the parsed _dialect.yml as {'folder': {...},
    'tables': {<table>: {...}}}, checked; errors name the file.
#}
{% macro parse_dialect(text, path) %}
    {%- set parsed = fromyaml(text) if text and text | trim else {} -%}
    {%- if parsed is none -%}
        {%- set parsed = {} -%}
    {%- endif -%}
    {%- if parsed is not mapping -%}
        {{ exceptions.raise_compiler_error("Dialect file " ~ path ~ " must be a YAML mapping of keys ("
            ~ (ecommerce_segmentation.dialect_keys() | join(', ')) ~ ", tables)") }}
    {%- endif -%}
    {%- set folder = {} -%}
    {%- for key, value in parsed.items() if key != 'tables' -%}
        {%- do folder.update({key: value}) -%}
    {%- endfor -%}
    {%- do ecommerce_segmentation.check_dialect(folder, path, 'the folder') -%}
    {%- set tables = parsed.get('tables') or {} -%}
    {%- set known = ecommerce_segmentation.contract_table_names() -%}
    {%- for table_name, settings in tables.items() -%}
        {%- if table_name not in known -%}
            {{ exceptions.raise_compiler_error("Dialect file " ~ path ~ ": tables." ~ table_name
                ~ " is not a table of the raw data contract (" ~ (known | join(', ')) ~ ")") }}
        {%- endif -%}
        {%- do ecommerce_segmentation.check_dialect(settings or {}, path, 'tables.' ~ table_name) -%}
    {%- endfor -%}
    {{ return({'folder': folder, 'tables': tables}) }}
{% endmacro %}


{% macro check_dialect(settings, path, where) %}
    {%- if settings is not mapping -%}
        {{ exceptions.raise_compiler_error("Dialect file " ~ path ~ ": " ~ where ~ " must be a mapping") }}
    {%- endif -%}
    {%- for key, value in settings.items() -%}
        {%- if key not in ecommerce_segmentation.dialect_keys() -%}
            {{ exceptions.raise_compiler_error("Dialect file " ~ path ~ ": unknown key '" ~ key ~ "' in " ~ where
                ~ " (known: " ~ (ecommerce_segmentation.dialect_keys() | join(', ')) ~ ", tables)") }}
        {%- endif -%}
        {%- if key in ('delimiter', 'quote') and (value | string | length) != 1 -%}
            {{ exceptions.raise_compiler_error("Dialect file " ~ path ~ ": " ~ key ~ " in " ~ where
                ~ " must be one character, got '" ~ value ~ "'") }}
        {%- endif -%}
        {%- if key == 'decimal_separator' and value not in ('.', ',') -%}
            {{ exceptions.raise_compiler_error("Dialect file " ~ path ~ ": decimal_separator in " ~ where
                ~ " must be '.' or ',', got '" ~ value ~ "'") }}
        {%- endif -%}
        {%- if key == 'thousands_separator' and value not in ('', ' ', '.', ',', "'", none) -%}
            {{ exceptions.raise_compiler_error("Dialect file " ~ path ~ ": thousands_separator in " ~ where
                ~ " must be one of '', ' ', '.', ',', \"'\", got '" ~ value ~ "'") }}
        {%- endif -%}
        {%- if key == 'null_tokens' and (value is string or value is not iterable) -%}
            {{ exceptions.raise_compiler_error("Dialect file " ~ path ~ ": null_tokens in " ~ where
                ~ " must be a list, e.g. ['NULL', '-']") }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}


{#
    The dialect of one table: the folder's settings, then the table's own,
    over the defaults. Encoding names are normalised to DuckDB's
    (windows-1250 -> cp1250, utf8 -> utf-8, latin1 / iso-8859-1 -> latin-1).
#}
{% macro table_dialect(dialect, table_name) %}
    {%- set merged = {
        'delimiter': ',', 'quote': '"', 'encoding': 'utf-8', 'decimal_separator': '.',
        'thousands_separator': '', 'date_format': none, 'timestamp_format': none, 'null_tokens': [],
    } -%}
    {%- if dialect -%}
        {%- do merged.update(dialect.folder) -%}
        {%- do merged.update(dialect.tables.get(table_name) or {}) -%}
    {%- endif -%}
    {%- set encoding = (merged.encoding | string | trim | lower) -%}
    {%- set aliases = {'utf8': 'utf-8', 'latin1': 'latin-1', 'iso-8859-1': 'latin-1', 'iso8859-1': 'latin-1',
                       'utf16': 'utf-16'} -%}
    {%- if encoding.startswith('windows-') -%}
        {%- set encoding = 'cp' ~ encoding[8:] -%}
    {%- endif -%}
    {%- do merged.update({
        'encoding': aliases.get(encoding, encoding),
        'thousands_separator': merged.thousands_separator or '',
        'null_tokens': (merged.null_tokens or []) | map('string') | list,
    }) -%}
    {{ return(merged) }}
{% endmacro %}


{#
    dialect_value(expression, contract_type, dialect): SQL turning one raw
    text value written in the dialect into the contract's canonical text, or
    the expression itself when the dialect changes nothing for that type.
#}
{% macro dialect_value(expression, contract_type, dialect) %}
    {%- if contract_type in ('decimal', 'integer')
        and (dialect.decimal_separator == ',' or dialect.thousands_separator) -%}
        {{ return(ecommerce_segmentation.dialect_number(expression, dialect)) }}
    {%- elif contract_type == 'date' and dialect.date_format -%}
        {{ return(adapter.dispatch('dialect_datetime', 'ecommerce_segmentation')(
            expression, [dialect.date_format], '%Y-%m-%d')) }}
    {%- elif contract_type == 'timestamp' and (dialect.timestamp_format or dialect.date_format) -%}
        {%- set formats = [] -%}
        {%- for f in [dialect.timestamp_format, dialect.date_format] if f -%}
            {%- do formats.append(f) -%}
        {%- endfor -%}
        {{ return(adapter.dispatch('dialect_datetime', 'ecommerce_segmentation')(
            expression, formats, '%Y-%m-%d %H:%M:%S')) }}
    {%- endif -%}
    {{ return(expression) }}
{% endmacro %}


{#
    The regular expression (RE2 / Java, same syntax here) of a number in the
    dialect: optional sign, digits in groups of three with the thousands
    separator (when there is one), optional decimal part.
#}
{% macro dialect_number_pattern(dialect) %}
    {%- set sep = dialect.thousands_separator -%}
    {%- set escaped = {'': '', ' ': ' ', '.': '\\.', ',': ',', "'": "'"}[sep] -%}
    {%- set dec = '\\.' if dialect.decimal_separator == '.' else ',' -%}
    {%- if sep -%}
        {%- set whole = '([0-9]+|[0-9]{1,3}(' ~ escaped ~ '[0-9]{3})+)' -%}
    {%- else -%}
        {%- set whole = '[0-9]+' -%}
    {%- endif -%}
    {{ return('^[-+]?' ~ whole ~ '(' ~ dec ~ '[0-9]+)?$') }}
{% endmacro %}


{# A text as an SQL string literal: '' escapes a quote on DuckDB, a backslash on Spark. #}
{% macro sql_string(text) %}
    {{- return(adapter.dispatch('sql_string', 'ecommerce_segmentation')(text)) -}}
{% endmacro %}

{% macro default__sql_string(text) %}
    {{ return("'" ~ (text | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") }}
{% endmacro %}

{% macro duckdb__sql_string(text) %}
    {{ return("'" ~ (text | string | replace("'", "''")) ~ "'") }}
{% endmacro %}


{#
    The trimmed raw text of a number. With thousands_separator ' ', a no-break
    space (U+00A0) and a narrow no-break space (U+202F), which Polish and
    French locales and Excel write between the groups, become an ordinary
    space first, so all three are read as the separator. Portable SQL.
#}
{% macro dialect_number_text(expression, dialect) %}
    {%- set value = expression -%}
    {%- if dialect.thousands_separator == ' ' -%}
        {%- set value = 'replace(replace(' ~ value ~ ', ' ~ ecommerce_segmentation.sql_string('\u00a0')
            ~ ", ' '), " ~ ecommerce_segmentation.sql_string('\u202f') ~ ", ' ')" -%}
    {%- endif -%}
    {{ return('trim(' ~ value ~ ')') }}
{% endmacro %}


{#
    The dialect's number text in the contract's canonical form (thousands
    separators dropped, decimal comma to point) when it matches
    dialect_number_pattern, else the value unchanged. Only the regular-
    expression match differs by engine (macro matches_pattern).
#}
{% macro dialect_number(expression, dialect) %}
    {%- set pattern = ecommerce_segmentation.dialect_number_pattern(dialect) -%}
    {%- set value = ecommerce_segmentation.dialect_number_text(expression, dialect) -%}
    {%- set canonical = value -%}
    {%- if dialect.thousands_separator -%}
        {%- set canonical = "replace(" ~ canonical ~ ", " ~ ecommerce_segmentation.sql_string(dialect.thousands_separator) ~ ", '')" -%}
    {%- endif -%}
    {%- if dialect.decimal_separator == ',' -%}
        {%- set canonical = "replace(" ~ canonical ~ ", ',', '.')" -%}
    {%- endif -%}
    {{ return("case when " ~ ecommerce_segmentation.matches_pattern(value, ecommerce_segmentation.sql_string(pattern))
        ~ " then " ~ canonical ~ " else " ~ expression ~ " end") }}
{% endmacro %}


{# SQL that is true when the text matches the (anchored) regular expression literal. #}
{% macro matches_pattern(expression, pattern_literal) %}
    {{- return(adapter.dispatch('matches_pattern', 'ecommerce_segmentation')(expression, pattern_literal)) -}}
{% endmacro %}

{% macro default__matches_pattern(expression, pattern_literal) %}
    {{- return(expression ~ ' rlike ' ~ pattern_literal) -}}
{% endmacro %}

{% macro duckdb__matches_pattern(expression, pattern_literal) %}
    {{- return('regexp_matches(' ~ expression ~ ', ' ~ pattern_literal ~ ')') -}}
{% endmacro %}


{#
    dialect_datetime(expression, formats, canonical): the value parsed with the
    first strptime format that matches, written back as canonical ISO text
    (UTC when the format has %z), else the value unchanged.
#}
{% macro default__dialect_datetime(expression, formats, canonical) %}
    {#- Spark: strptime patterns become Java DateTimeFormatter patterns -#}
    {%- set parsed = [] -%}
    {%- for f in formats -%}
        {%- do parsed.append("to_timestamp(trim(" ~ expression ~ "), "
            ~ ecommerce_segmentation.sql_string(ecommerce_segmentation.strptime_to_java(f)) ~ ")") -%}
    {%- endfor -%}
    {%- set java = 'yyyy-MM-dd' if canonical == '%Y-%m-%d' else 'yyyy-MM-dd HH:mm:ss' -%}
    {{ return("coalesce(date_format(coalesce(" ~ (parsed | join(', ')) ~ "), '" ~ java ~ "'), " ~ expression ~ ")") }}
{% endmacro %}

{% macro duckdb__dialect_datetime(expression, formats, canonical) %}
    {%- set parsed = [] -%}
    {%- for f in formats -%}
        {%- do parsed.append("try_strptime(trim(" ~ expression ~ "), " ~ ecommerce_segmentation.sql_string(f) ~ ")") -%}
    {%- endfor -%}
    {{ return("coalesce(strftime(cast(coalesce(" ~ (parsed | join(', ')) ~ ") as timestamp), '" ~ canonical ~ "'), "
        ~ expression ~ ")") }}
{% endmacro %}


{#
    A strptime pattern as a Java DateTimeFormatter pattern (Spark). Supported
    directives: %d %m %Y %y %H %M %S %f %z %b %p %I and %%; literal letters
    are quoted. Anything else stops the run with an error.
#}
{% macro strptime_to_java(pattern) %}
    {%- set map = {'d': 'dd', 'm': 'MM', 'Y': 'yyyy', 'y': 'yy', 'H': 'HH', 'M': 'mm', 'S': 'ss',
                   'f': 'SSSSSS', 'z': 'XX', 'b': 'MMM', 'p': 'a', 'I': 'hh', '%': '%'} -%}
    {%- set out = [] -%}
    {%- set state = {'percent': false} -%}
    {%- for ch in pattern -%}
        {%- if state.percent -%}
            {%- if ch not in map -%}
                {{ exceptions.raise_compiler_error("Dialect format '" ~ pattern ~ "': %" ~ ch
                    ~ " has no Spark equivalent (supported: %d %m %Y %y %H %M %S %f %z %b %p %I)") }}
            {%- endif -%}
            {%- do out.append(map[ch]) -%}
            {%- do state.update({'percent': false}) -%}
        {%- elif ch == '%' -%}
            {%- do state.update({'percent': true}) -%}
        {%- elif ch.isalpha() -%}
            {%- do out.append("'" ~ ch ~ "'") -%}
        {%- else -%}
            {%- do out.append(ch) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(out | join('')) }}
{% endmacro %}


{#
    For the error of a file that lacks required columns: when the names
    found look like one name holding several separated by another
    character, the hint to set the delimiter; else ''.
#}
{% macro delimiter_hint(found_names, dialect) %}
    {%- for sep in [';', '\t', '|', ','] if sep != dialect.delimiter -%}
        {%- for name in found_names if (name | string).count(sep) >= 2 -%}
            {{ return(". The header looks '" ~ (sep | replace('\t', '\\t')) ~ "'-separated: set delimiter: '"
                ~ (sep | replace('\t', '\\t')) ~ "' in the folder's _dialect.yml (docs/raw-data-contract.md)") }}
        {%- endfor -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}


{#
    The folder's dialect file <raw_dir>/_dialect.yml, parsed and checked
    (parse_dialect), or none when there is none; raw_schema: where Spark
    puts the external table it reads the file through.
#}
{% macro read_dialect(raw_dir, raw_schema) %}
    {{- return(adapter.dispatch('read_dialect', 'ecommerce_segmentation')(raw_dir, raw_schema)) -}}
{% endmacro %}

{#
    The folder's dialect file <raw_dir>/_dialect.yml, parsed and checked
    (macros/loading/dialect.sql), or none when there is none.
#}
{% macro duckdb__read_dialect(raw_dir, raw_schema) %}
    {%- set path = (raw_dir ~ '/_dialect.yml') | replace("'", "''") -%}
    {%- if run_query("select count(*) from glob('" ~ path ~ "')").columns[0].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = run_query("select content from read_text('" ~ path ~ "')").columns[0].values()[0] -%}
    {%- set dialect = ecommerce_segmentation.parse_dialect(text, raw_dir ~ '/_dialect.yml') -%}
    {{- log('Raw folder dialect from ' ~ raw_dir ~ '/_dialect.yml: ' ~ tojson(dialect), info=true) -}}
    {{ return(dialect) }}
{% endmacro %}


{#
    The folder's _dialect.yml on Spark (as duckdb__read_dialect), read through
    an external text table with wholetext (one row: the whole file), or none.
#}
{% macro spark__read_dialect(raw_dir, raw_schema) %}
    {%- set path = raw_dir ~ '/_dialect.yml' -%}
    {%- if ecommerce_segmentation.spark_file_size(path, raw_schema) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text_table = raw_schema ~ '._dialect__file' -%}
    {%- do adapter.execute('drop table if exists ' ~ text_table) -%}
    {%- do adapter.execute("create table " ~ text_table ~ " using text options (path "
        ~ ecommerce_segmentation.sql_string(path) ~ ", wholetext 'true')") -%}
    {%- set rows = run_query('select value from ' ~ text_table) -%}
    {%- do adapter.execute('drop table if exists ' ~ text_table) -%}
    {%- set text = rows.columns[0].values()[0] if rows | length > 0 else '' -%}
    {{ return(ecommerce_segmentation.parse_dialect(text, path)) }}
{% endmacro %}
