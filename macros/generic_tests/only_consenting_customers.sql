{#
    only_consenting_customers: every row of an activation output (a model
    with config meta.activation = true: anything that sends messages, builds
    audiences or leaves the warehouse for marketing) belongs to a customer
    who gave marketing consent. Consent comes from
    stg_shop__customers.has_marketing_consent (override with consent_model,
    consent_key, consent_column). A customer missing there has no consent,
    and a row without a customer id fails too (it cannot be shown to
    consent). Fails with one row per offending customer id.

        columns:
          - name: customer_id
            data_tests:
              - only_consenting_customers

    tests/python/test_gdpr.py checks that every activation model carries it.
#}
{% test only_consenting_customers(model, column_name, consent_model=none, consent_key='customer_id', consent_column='has_marketing_consent') %}

{%- set consent_relation = consent_model if consent_model is not none else ref('stg_shop__customers') %}

with activated as (

    select {{ column_name }} as customer_id  -- noqa: AL09
    from {{ model }}

),

consent as (

    select
        {{ consent_key }} as customer_id,  -- noqa: AL09
        max(case when {{ consent_column }} then 1 else 0 end) as has_consent
    from {{ consent_relation }}
    group by {{ consent_key }}

)

select
    activated.customer_id,
    count(*) as activated_rows
from activated
left join consent
    on activated.customer_id = consent.customer_id
where coalesce(consent.has_consent, 0) = 0
group by activated.customer_id

{% endtest %}
