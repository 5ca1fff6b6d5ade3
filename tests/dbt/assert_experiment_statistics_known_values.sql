-- The p-value macros (macros/experiments/statistics.sql) on the issue's known values
-- and on textbook ones; returns each case whose value is off by more than its tolerance.
--   z = 2.1027 (100/1000 vs 130/1000)  -> two-sided p = 0.0355
--   chi-square 16.0, df 1 (5200 / 4800 planned 50/50) -> p = 6.334e-5
--   chi-square 5.991465, df 2 -> p = 0.05; 7.814728, df 3 -> 0.05; 9.487729, df 4 -> 0.05
--   z = 1.959964 -> p = 0.05; z = 0 -> p = 1; z = 8 -> p = 1.2442e-15 (continued-fraction branch)

with cases as (

    select
        'z 2.1027' as case_name,
        {{ two_sided_p_value('2.1027') }} as actual,
        0.0355 as expected,
        0.00005 as tolerance
    union all
    select
        'z 1.959964' as case_name,
        {{ two_sided_p_value('1.959964') }} as actual,
        0.05 as expected,
        0.0000001 as tolerance
    union all
    select
        'z 0' as case_name,
        {{ two_sided_p_value('0.0') }} as actual,
        1.0 as expected,
        0.000000000001 as tolerance
    union all
    select
        'z 8' as case_name,
        {{ two_sided_p_value('-8.0') }} as actual,
        1.2441921148543e-15 as expected,
        0.000000000000000001 as tolerance
    union all
    select
        'chi-square 16 df 1' as case_name,
        {{ chi_square_p_value('16.0', '1') }} as actual,
        0.0000633424837 as expected,
        0.0000000001 as tolerance
    union all
    select
        'chi-square 5.991465 df 2' as case_name,
        {{ chi_square_p_value('5.991465', '2') }} as actual,
        0.05 as expected,
        0.0000001 as tolerance
    union all
    select
        'chi-square 7.814728 df 3' as case_name,
        {{ chi_square_p_value('7.814728', '3') }} as actual,
        0.05 as expected,
        0.0000001 as tolerance
    union all
    select
        'chi-square 9.487729 df 4' as case_name,
        {{ chi_square_p_value('9.487729', '4') }} as actual,
        0.05 as expected,
        0.0000001 as tolerance

),

final as (

    select
        case_name,
        actual,
        expected,
        tolerance
    from cases
    where actual is null
        or abs(actual - expected) > tolerance

)

select * from final
