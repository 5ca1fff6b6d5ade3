{#
    Cross-database "parse or null" casts. dbt.safe_cast is a plain cast on
    DuckDB, so a value that does not parse would fail the whole build; these
    return null instead, and the base_ models turn that null into a
    quarantine reason.
#}

{% macro try_cast(expression, data_type) %}
    {{- return(adapter.dispatch('try_cast', 'ecommerce_segmentation')(expression, data_type)) -}}
{% endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    {{ dbt.safe_cast(expression, data_type) }}
{%- endmacro %}

{% macro duckdb__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro spark__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}


{#
    clean_text: the contract's text normalisation (docs/raw-data-contract.md,
    "Text normalisation"), applied to every raw value of every column: the
    characters of meta.text_normalisation.trim_characters (Unicode white
    space and invisible format characters) are removed where they lead or
    trail, then an empty value or one equal, case-insensitively, to a null
    token (var null_tokens, else the contract's list) is null. The same
    definition as ecomseg.contract.normalise_text (tested against it).
    It runs on every value of every table, so each engine's variant takes its
    cheapest exact form (below).
#}
{% macro clean_text(expression) %}
    {{- return(adapter.dispatch('clean_text', 'ecommerce_segmentation')(expression)) -}}
{% endmacro %}

{#- Portable SQL: trim(both <characters> from x), the characters themselves in the literal. -#}
{% macro default__clean_text(expression) -%}
    {%- set definition = ecommerce_segmentation.text_normalisation() -%}
    {%- set characters = [] -%}
    {%- for code_point in definition.trim_code_points -%}
        {%- do characters.append('%c' | format(code_point)) -%}
    {%- endfor -%}
    {%- set trimmed = "trim(both '" ~ (characters | join('')) ~ "' from " ~ expression ~ ")" if characters else 'trim(' ~ expression ~ ')' -%}
    {{ ecommerce_segmentation.null_token_check(trimmed, ecommerce_segmentation.standard_literals(definition.null_tokens)) }}
{%- endmacro %}

{#-
    DuckDB: its trim(x, characters) takes about 4.5 microseconds a value with
    this set of 80 characters (measured: 9 s for 2M values), so a value whose
    first and last characters are printable ASCII (nearly all: nothing to
    trim) is only compared with the null tokens (and only when it is no
    longer than the longest token), and only the others are trimmed, by two
    anchored RE2 character classes (0.23 microseconds a value). The common
    branch names the column itself, so nothing costly is computed twice.
-#}
{% macro duckdb__clean_text(text) -%}
    {%- set expression = '(' ~ text ~ ')' -%}
    {%- set definition = ecommerce_segmentation.text_normalisation() -%}
    {%- set literals = ecommerce_segmentation.standard_literals(definition.null_tokens) -%}
    {%- set class = ecommerce_segmentation.code_point_class(definition.trim_code_points, '\\x{%x}') -%}
    {%- if not class -%}
    {{ ecommerce_segmentation.null_token_check('trim(' ~ expression ~ ')', literals) }}
    {%- else -%}
    {%- set trimmed = "regexp_replace(regexp_replace(" ~ expression ~ ", '^[" ~ class ~ "]+', ''), '[" ~ class ~ "]+$', '')" -%}
    {#- in bytes (strlen), as UTF-8 -#}
    {%- set lengths = [0] -%}
    {%- for token in definition.null_tokens -%}
        {%- do lengths.append(token.encode('utf-8') | length) -%}
    {%- endfor %}
    {%- set longest = lengths | max -%}
    case
        when ord({{ expression }}) between 33 and 126 and ord({{ expression }}[-1]) between 33 and 126
            then case
                when strlen({{ expression }}) <= {{ longest }} and list_contains([{{ literals | join(', ') or "''" }}], lower({{ expression }})) then null
                else {{ expression }}
            end
        else {{ ecommerce_segmentation.null_token_check(trimmed, literals) }}
    end
    {%- endif -%}
{%- endmacro %}

{#- The code points as the body of a regular-expression character class, runs as ranges; escape: e.g. '\\x{%x}'. -#}
{% macro code_point_class(code_points, escape) %}
    {%- set parts = [] -%}
    {%- set runs = [] -%}
    {%- for code_point in code_points | sort -%}
        {%- if runs and runs[-1][1] + 1 == code_point -%}
            {%- do runs[-1].append(code_point) -%}
            {%- do runs[-1].pop(1) -%}
        {%- else -%}
            {%- do runs.append([code_point, code_point]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for run in runs -%}
        {%- do parts.append(escape | format(run[0]) if run[0] == run[1] else (escape | format(run[0])) ~ '-' ~ (escape | format(run[1]))) -%}
    {%- endfor -%}
    {{ return(parts | join('')) }}
{% endmacro %}

{#- Spark: trim(both <characters> from x), the characters as \uXXXX escapes (surrogate pairs above U+FFFF). -#}
{% macro spark__clean_text(expression) -%}
    {%- set definition = ecommerce_segmentation.text_normalisation() -%}
    {%- set characters = [] -%}
    {%- for code_point in definition.trim_code_points -%}
        {%- if code_point > 65535 -%}
            {%- set offset = code_point - 65536 -%}
            {%- do characters.append('\\u%04X\\u%04X' | format(55296 + offset // 1024, 56320 + offset % 1024)) -%}
        {%- else -%}
            {%- do characters.append('\\u%04X' | format(code_point)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set trimmed = "trim(both '" ~ (characters | join('')) ~ "' from " ~ expression ~ ")" if characters else 'trim(' ~ expression ~ ')' -%}
    {%- set literals = [] -%}
    {%- for token in definition.null_tokens -%}
        {%- do literals.append("'" ~ (token | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -%}
    {%- endfor -%}
    {{ ecommerce_segmentation.null_token_check(trimmed, literals) }}
{%- endmacro %}

{#- SQL-standard literals of texts (quotes doubled, backslash literal). -#}
{% macro standard_literals(texts) %}
    {%- set literals = [] -%}
    {%- for text in texts -%}
        {%- do literals.append("'" ~ (text | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return(literals) }}
{% endmacro %}

{#- null when the trimmed text is empty or equals a null token (literals: the lower-case tokens as SQL literals). -#}
{% macro null_token_check(trimmed, literals) -%}
    {{- return(adapter.dispatch('null_token_check', 'ecommerce_segmentation')(trimmed, literals)) -}}
{%- endmacro %}

{% macro default__null_token_check(trimmed, literals) -%}
    case
        when lower({{ trimmed }}) in ({{ (["''"] + literals) | join(', ') }}) then null
        else {{ trimmed }}
    end
{%- endmacro %}

{#-
    DuckDB: list_contains on a constant list instead of IN: DuckDB plans an
    IN list of more than a few constants as a join (a mark join over every
    row), one per clean_text call; a base_ model cleans dozens of columns.
-#}
{% macro duckdb__null_token_check(trimmed, literals) -%}
    case
        when list_contains([{{ (["''"] + literals) | join(', ') }}], lower({{ trimmed }})) then null
        else {{ trimmed }}
    end
{%- endmacro %}


{#
    Timestamps: the extended ISO-8601 profile of RFC 3339 and common exports
    (the table in docs/raw-data-contract.md, "Timestamps"): YYYY-MM-DD, then
    optionally 'T', 't' or a space and HH, HH:MM, HH:MM:SS or HH:MM:SS with a
    '.' or ',' and 1-9 fraction digits (cut to microseconds, not rounded),
    then optionally (directly or after one space) 'Z', 'z', +-HH:MM, +-HHMM
    or +-HH. An offset is converted to UTC; no offset means UTC. The
    warehouse session runs in UTC (profiles.yml).

    First one shape check, a regular expression of exactly that profile
    (iso_timestamp_profile_pattern: digits and ranges of each field; hour
    00-23, year 0001-9999, offsets -18:00..+18:00, the range of Spark's
    (Java's) zone offsets, narrower than RFC 3339's -23:59..+23:59 and wider
    than any real zone's -12:00..+14:00); a value outside it is
    null, however lenient the engine's cast (DuckDB would read hour 24,
    '10:0', '10:00:00.', offset +25:00, '2025-3-1', zone names). A value
    inside it takes the fast path, the engine's own cast; only a value
    that cast rejects (e.g. 'T10', a space before the offset) is rewritten
    to the canonical form 'YYYY-MM-DD HH:MM:SS[.f][+HH:MM]' (regular
    expressions) and cast again. Impossible dates (2025-02-30) pass the
    shape and are rejected by the cast.
#}
{% macro try_parse_timestamp(expression, cleaned=false) %}
    {{- return(adapter.dispatch('try_parse_timestamp', 'ecommerce_segmentation')(expression, cleaned)) -}}
{% endmacro %}

{#- clean_text of expression, or expression itself when cleaned (the caller passes a value clean_text already normalised: the base_ models' cleaned__<column>, never normalised twice). -#}
{% macro cleaned_text(expression, cleaned=false) -%}
    {{- expression if cleaned else ecommerce_segmentation.clean_text(expression) -}}
{%- endmacro %}

{#-
    iso_timestamp_profile_pattern: the whole profile as one regular
    expression, in the syntax RE2 (DuckDB) and Java (Spark) share; no
    backslashes, so the literal reads the same under either engine's string
    escaping. Not anchored: match it against the whole value
    (regexp_full_match, or '^...$').
-#}
{% macro iso_timestamp_profile_pattern() %}
    {%- set year = '(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})' -%}
    {%- set date_part = year ~ '-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])' -%}
    {%- set hour = '([01][0-9]|2[0-3])' -%}
    {%- set time_part = hour ~ '(:[0-5][0-9](:[0-5][0-9]([.,][0-9]{1,9})?)?)?' -%}
    {%- set offset_hours = '((0[0-9]|1[0-7])(:?[0-5][0-9])?|18(:?00)?)' -%}
    {%- set offset = '( ?([Zz]|[+-]' ~ offset_hours ~ '))?' -%}
    {{ return(date_part ~ '([Tt ]' ~ time_part ~ offset ~ ')?') }}
{% endmacro %}

{#-
    iso_timestamp_rewrites: the rewrites of the slow path, in order, as
    (pattern, replacement) with backreferences written {1}, {2}, ...; each
    engine spells the backreferences its own way.
-#}
{% macro iso_timestamp_rewrites() %}
    {%- set date_part = '^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]' -%}
    {{ return([
        (date_part ~ '([0-9]{2})([^0-9:]|$)', '{1} {2}:00{3}'),
        (date_part ~ '([0-9]{2}:[0-9]{2})([^0-9:]|$)', '{1} {2}:00{3}'),
        (date_part ~ '([0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,9})?) ?(Z|[+-][0-9]{2})', '{1} {2}{4}'),
    ]) }}
{% endmacro %}

{% macro iso_timestamp_canonical(text, backreference) %}
    {%- set result = ['upper(replace(' ~ text ~ ", ',', '.'))"] -%}
    {%- for rewrite in ecommerce_segmentation.iso_timestamp_rewrites() -%}
        {%- set replacement = rewrite[1] | replace('{1}', backreference | format(1)) | replace('{2}', backreference | format(2))
            | replace('{3}', backreference | format(3)) | replace('{4}', backreference | format(4)) -%}
        {%- do result.append('regexp_replace(' ~ result[-1] ~ ", '" ~ rewrite[0] ~ "', '" ~ replacement ~ "')") -%}
    {%- endfor -%}
    {{ return(result[-1]) }}
{% endmacro %}

{#- Other engines: no portable regular expression, so no shape check; the engine's cast decides. -#}
{% macro default__try_parse_timestamp(expression, cleaned=false) -%}
    {%- set text = ecommerce_segmentation.cleaned_text(expression, cleaned) -%}
    coalesce(
        {{ ecommerce_segmentation.try_cast(text, dbt.type_timestamp()) }},
        {{ ecommerce_segmentation.try_cast(ecommerce_segmentation.iso_timestamp_canonical(text, '\\%d'), dbt.type_timestamp()) }}
    )
{%- endmacro %}

{#-
    DuckDB: regexp_full_match (RE2) is the shape check, on the raw value with
    the trim characters allowed around the profile: the same answer as on
    the cleaned value (a value of the profile starts with a digit and ends
    with a digit or Z, none of them trimmed; a null token of that shape,
    if var null_tokens had one, is still null: the cast reads the cleaned
    value), but clean_text, the costly part, is not computed a third time
    (measured on 3M values, one thread, loaded machine: +0.2-0.6 s over
    about 2 s for this check, about 2 s more for the check on the cleaned
    value). coalesce evaluates the rewrite only for the values the plain
    cast rejected. Before all that, the fast path of plain_timestamp_pattern.
-#}
{% macro duckdb__try_parse_timestamp(expression, cleaned=false) -%}
    {%- set text = ecommerce_segmentation.cleaned_text(expression, cleaned) -%}
    {%- set class = ecommerce_segmentation.code_point_class(ecommerce_segmentation.text_normalisation().trim_code_points, '\\x{%x}') -%}
    {%- set padding = '[' ~ class ~ ']*' if class else '' -%}
    {%- set plain = ecommerce_segmentation.plain_timestamp_pattern() -%}
    case
        {%- if plain %}
        when regexp_full_match(({{ expression }}), '{{ plain }}')
            then try_cast(({{ expression }}) as timestamp)
        {%- endif %}
        when regexp_full_match(({{ expression }}), '{{ padding ~ ecommerce_segmentation.iso_timestamp_profile_pattern() ~ padding }}')
            then cast(coalesce(
                try_cast({{ text }} as timestamptz),
                try_cast({{ ecommerce_segmentation.iso_timestamp_canonical(text, '\\%d') }} as timestamptz)
            ) as timestamp)
    end
{%- endmacro %}

{#-
    plain_timestamp_pattern(): the commonest exports' shape, YYYY-MM-DD or
    YYYY-MM-DD HH:MM:SS ('T' or a space), no fraction, no offset, nothing to
    trim: a part of the profile whose values DuckDB's plain timestamp cast
    reads exactly as the general path does (a value without offset is UTC:
    the same wall-clock time), about four times faster on 4.9M values
    (0.55 s against 1.96 s, one thread: the general path's cast through
    timestamptz and back costs most). Empty (no fast path) when a null
    token (var null_tokens) has that shape: such a value must stay null.
-#}
{% macro plain_timestamp_pattern() %}
    {%- set year = '(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})' -%}
    {%- set pattern = year ~ '-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])?' -%}
    {%- for token in ecommerce_segmentation.text_normalisation().null_tokens -%}
        {%- if modules.re.fullmatch(pattern, token, modules.re.IGNORECASE) -%}
            {{ return('') }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(pattern) }}
{% endmacro %}

{#-
    Spark: rlike (Java regex, a search: the pattern is anchored; its '$'
    would also match before a final line break, which clean_text has
    already removed) is the shape check; Java regular expressions ($1
    backreferences) for the rewrite; the offset is also
    written +HH:MM and the fraction cut to 6 digits, the forms Spark's cast
    is sure to read.
-#}
{% macro spark__try_parse_timestamp(expression, cleaned=false) -%}
    {%- set text = ecommerce_segmentation.cleaned_text(expression, cleaned) -%}
    {%- set canonical = ecommerce_segmentation.iso_timestamp_canonical(text, '$%d') -%}
    {%- set canonical = "regexp_replace(" ~ canonical ~ ", '([.][0-9]{6})[0-9]+', '$1')" -%}
    {%- set canonical = "regexp_replace(" ~ canonical ~ ", '([+-][0-9]{2})([0-9]{2})$', '$1:$2')" -%}
    {%- set canonical = "regexp_replace(" ~ canonical ~ ", '( [0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?[+-][0-9]{2})$', '$1:00')" -%}
    case
        when {{ text }} rlike '^{{ ecommerce_segmentation.iso_timestamp_profile_pattern() }}$'
            then coalesce(
                try_cast({{ text }} as timestamp),
                try_cast({{ canonical }} as timestamp)
            )
    end
{%- endmacro %}


{% macro try_parse_date(expression, cleaned=false) -%}
    cast({{ ecommerce_segmentation.try_parse_timestamp(expression, cleaned) }} as date)
{%- endmacro %}


{#
    Whole numbers only: '3' and '3.0' parse, '1.5' does not (a plain
    try_cast to integer would round it on DuckDB). Through decimal(18, 6),
    so whole numbers of up to 12 digits parse; a longer one is unparseable.
    (decimal(38, 6) would take any 32 digits, but on DuckDB it parses about
    fifteen times slower: a 128-bit decimal.)
#}
{% macro try_parse_integer(expression, cleaned=false) %}
    {{- return(adapter.dispatch('try_parse_integer', 'ecommerce_segmentation')(expression, cleaned)) -}}
{% endmacro %}

{#- DuckDB: a value of 1 to 12 plain digits (nearly all) is cast directly, without the three clean_text and decimal casts of the general form; not when a null token (var null_tokens) is all digits. -#}
{% macro duckdb__try_parse_integer(expression, cleaned=false) -%}
    {%- set ns = namespace(fast=true) -%}
    {%- for token in ecommerce_segmentation.text_normalisation().null_tokens -%}
        {%- if modules.re.fullmatch('[0-9]{1,12}', token) -%}
            {%- set ns.fast = false -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ns.fast -%}
    case
        when regexp_full_match(({{ expression }}), '[0-9]{1,12}') then cast(({{ expression }}) as {{ dbt.type_bigint() }})
        else {{ ecommerce_segmentation.default__try_parse_integer(expression, cleaned) }}
    end
    {%- else -%}
    {{ ecommerce_segmentation.default__try_parse_integer(expression, cleaned) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__try_parse_integer(expression, cleaned=false) -%}
    {%- set as_decimal = ecommerce_segmentation.try_cast(ecommerce_segmentation.cleaned_text(expression, cleaned), 'decimal(18, 6)') -%}
    case
        when {{ as_decimal }} = floor({{ as_decimal }})
            then cast({{ as_decimal }} as {{ dbt.type_bigint() }})
    end
{%- endmacro %}


{#
    Money and other decimals: kept at 6 decimals (decimal(18, 6): up to 12
    whole digits), so a unit price of 0.005678 stays 0.005678. Amounts are
    rounded to cents only at the documented point of rounding (an order's
    revenue, int_order_revenue; docs/raw-data-contract.md), never on reading.
#}
{% macro try_parse_decimal(expression, precision=18, scale=6, cleaned=false) -%}
    {{ ecommerce_segmentation.try_cast(ecommerce_segmentation.cleaned_text(expression, cleaned), 'decimal(' ~ precision ~ ', ' ~ scale ~ ')') }}
{%- endmacro %}


{# true/false, t/f, 1/0, yes/no, y/n in any case; anything else is null. #}
{% macro try_parse_boolean(expression, cleaned=false) -%}
    case
        when lower({{ ecommerce_segmentation.cleaned_text(expression, cleaned) }}) in ('true', 't', '1', 'yes', 'y') then true
        when lower({{ ecommerce_segmentation.cleaned_text(expression, cleaned) }}) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}


{#- Parse a raw text column as the contract type given in the sources file; cleaned: the expression is already
    clean_text of the raw value (the base_ models' cleaned__<column>), not normalised again. -#}
{% macro parse_as(expression, contract_type, cleaned=false) -%}
    {%- if contract_type == 'timestamp' -%}
        {{ ecommerce_segmentation.try_parse_timestamp(expression, cleaned) }}
    {%- elif contract_type == 'date' -%}
        {{ ecommerce_segmentation.try_parse_date(expression, cleaned) }}
    {%- elif contract_type == 'integer' -%}
        {{ ecommerce_segmentation.try_parse_integer(expression, cleaned) }}
    {%- elif contract_type == 'decimal' -%}
        {{ ecommerce_segmentation.try_parse_decimal(expression, cleaned=cleaned) }}
    {%- elif contract_type == 'boolean' -%}
        {{ ecommerce_segmentation.try_parse_boolean(expression, cleaned) }}
    {%- elif contract_type == 'text' -%}
        {{ ecommerce_segmentation.cleaned_text(expression, cleaned) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("parse_as: unknown contract type '" ~ contract_type ~ "'") }}
    {%- endif -%}
{%- endmacro %}
