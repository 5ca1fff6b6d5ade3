{#-
    Lint harness of macros/experiments/ (analyses/macro_lint/README.md):
    every macro that writes SQL.
-#}
with experiment_results as (

    select * from {{ ref('int_experiment_results') }}

),

final as (

    select
        experiment_arm_id,
        {{ normal_upper_tail('abs(z_score)') }} as upper_tail,
        {{ two_sided_p_value('z_score') }} as p_value,
        {{ chi_square_p_value('srm_chi_square', 'recipients', 4) }} as srm_p_value
    from experiment_results

)

select * from final
