{#-
    One row per search phrase and product it matches: the products an offer
    for that phrase can show, best first.

    Matching rule (docs/funnel.md, "Search phrases"): the phrase (already
    normalised in staging: lower case, one space between words) is cut into
    its words at the spaces (the first 8 words, max_words). A product's text
    is its name, category and brand, lower-cased, with , ; : / ( ) & + - and
    " read as spaces (runs of spaces squashed to one). A phrase word matches
    a product when it is a whole word of that text. A product matches the phrase when at least one phrase word
    that holds a letter matches (a number alone, e.g. '500', matches nothing
    by itself but counts in the ranking). No stemming, no translation, no
    typo tolerance: 'słuchawki' does not find 'Headphones'.

    match_rank: 1 = the product with the most matching phrase words, ties by
    the share of the product's text words matched (a shorter, more specific
    name first), then product_id.
-#}
{%- set max_words = 8 %}
{%- set separators = [',', ';', ':', '/', '(', ')', '&', '+', '-', '"'] %}
with search_events as (

    select * from {{ ref('stg_shop__events') }}
    where event_type = 'search'
        and search_query is not null

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

phrases as (

    select distinct search_query as search_phrase
    from search_events

),

phrase_words_split as (

    -- noqa: disable=LT02
    {%- for i in range(1, max_words + 1) %}
    select
        search_phrase,
        {{ i }} as word_position,
        {{ dbt.split_part('search_phrase', "' '", i) }} as word  -- noqa: LT01
    from phrases
    {{ 'union all' if not loop.last }}
    {%- endfor %}
    -- noqa: enable=LT02

),

phrase_words as (

    select distinct
        search_phrase,
        word,
        lower(word) <> upper(word) as has_letter
    from phrase_words_split
    where word is not null
        and word <> ''

),

phrase_word_counts as (

    select
        search_phrase,
        count(*) as phrase_word_count
    from phrase_words
    group by search_phrase

),

product_texts as (

    {%- set ns = namespace(text="lower(concat_ws(' ', product_name, category, brand))") -%}
    {%- for separator in separators -%}
        {%- set ns.text = "replace(" ~ ns.text ~ ", '" ~ separator ~ "', ' ')" -%}
    {%- endfor %}
    select
        product_id,
        concat(' ', trim({{ squash_whitespace(ns.text) }}), ' ') as product_text
    from products

),

product_word_counts as (

    select
        product_id,
        product_text,
        {#- words: single spaces between them (squashed above) #}
        length(trim(product_text)) - length(replace(trim(product_text), ' ', '')) + 1 as product_word_count
    from product_texts

),

word_matches as (

    select
        phrase_words.search_phrase,
        product_word_counts.product_id,
        product_word_counts.product_word_count,
        phrase_words.has_letter
    from phrase_words
    inner join product_word_counts
        on {{ dbt.position("concat(' ', phrase_words.word, ' ')", 'product_word_counts.product_text') }} > 0

),

phrase_products as (

    select
        search_phrase,
        product_id,
        max(product_word_count) as product_word_count,
        count(*) as matched_word_count
    from word_matches
    group by search_phrase, product_id
    having max(case when has_letter then 1 else 0 end) = 1

),

final as (

    select
        {{ dbt.hash(dbt.concat(['phrase_products.search_phrase', "'|'", 'phrase_products.product_id'])) }}
            as search_phrase_product_id,
        phrase_products.search_phrase,
        phrase_products.product_id,
        cast(phrase_products.matched_word_count as {{ dbt.type_int() }}) as matched_word_count,
        cast(phrase_word_counts.phrase_word_count as {{ dbt.type_int() }}) as phrase_word_count,
        phrase_products.matched_word_count = phrase_word_counts.phrase_word_count as is_full_match,
        cast(row_number() over (
            partition by phrase_products.search_phrase
            order by
                phrase_products.matched_word_count desc,
                phrase_products.matched_word_count * 1.0 / phrase_products.product_word_count desc,
                phrase_products.product_id
        ) as {{ dbt.type_int() }}) as match_rank
    from phrase_products
    inner join phrase_word_counts
        on phrase_products.search_phrase = phrase_word_counts.search_phrase

)

select * from final
