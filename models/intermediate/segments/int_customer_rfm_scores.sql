{#- R, F and M quintile scores (macro quintile_scores): recency scores higher
    when fewer days passed; frequency and monetary when larger. -#}
with metrics as (

    select * from {{ ref('int_customer_rfm_metrics') }}

),

recency_scores as (

    {{ quintile_scores('metrics', 'customer_id', 'recency_days', better='lower', score_column='r_score') }}

),

frequency_scores as (

    {{ quintile_scores('metrics', 'customer_id', 'frequency', better='higher', score_column='f_score') }}

),

monetary_scores as (

    {{ quintile_scores('metrics', 'customer_id', 'monetary', better='higher', score_column='m_score') }}

),

final as (

    select
        metrics.customer_id,
        recency_scores.r_score,
        frequency_scores.f_score,
        monetary_scores.m_score,
        {{ dbt.concat([
            'cast(recency_scores.r_score as ' ~ dbt.type_string() ~ ')',
            'cast(frequency_scores.f_score as ' ~ dbt.type_string() ~ ')',
            'cast(monetary_scores.m_score as ' ~ dbt.type_string() ~ ')',
        ]) }} as rfm_code
    from metrics
    inner join recency_scores
        on metrics.customer_id = recency_scores.customer_id
    inner join frequency_scores
        on metrics.customer_id = frequency_scores.customer_id
    inner join monetary_scores
        on metrics.customer_id = monetary_scores.customer_id

)

select * from final
