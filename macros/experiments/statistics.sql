{#-
    Test statistics in plain SQL arithmetic (exp, sqrt, abs, power: the same
    on DuckDB and Spark, neither of which has a normal CDF built in), for the
    A/B evaluation of campaigns and marketing actions (docs/experiments.md).
-#}

{% macro normal_upper_tail(z) -%}
    {#- Q(z) = 1 - Phi(z) = P(Z > z) for z >= 0 (callers pass abs(z)): Hart's (1968)
        double-precision algorithm 5666 as given by West (2005, "Better approximations
        to cumulative normal functions"): a rational function of degree 6/7 times
        exp(-z^2/2) below z = 7.07, a continued fraction above. It computes the tail
        itself (no 1 - Phi cancellation): against scipy.stats.norm.sf on z = 0 .. 12
        the absolute error is below 2e-16 and the relative error below 1e-8. -#}
    {%- set x = 'cast(' ~ z ~ ' as double)' -%}
    (case
        when {{ x }} < 7.07106781186547 then
            exp(-0.5 * {{ x }} * {{ x }})
            * ((((((0.0352624965998911 * {{ x }} + 0.700383064443688) * {{ x }} + 6.37396220353165) * {{ x }}
                + 33.912866078383) * {{ x }} + 112.079291497871) * {{ x }} + 221.213596169931) * {{ x }}
                + 220.206867912376)
            / (((((((0.0883883476483184 * {{ x }} + 1.75566716318264) * {{ x }} + 16.064177579207) * {{ x }}
                + 86.7807322029461) * {{ x }} + 296.564248779674) * {{ x }} + 637.333633378831) * {{ x }}
                + 793.826512519948) * {{ x }} + 440.413735824752)
        else
            exp(-0.5 * {{ x }} * {{ x }}) / 2.506628274631
            / ({{ x }} + 1.0 / ({{ x }} + 2.0 / ({{ x }} + 3.0 / ({{ x }} + 4.0 / ({{ x }} + 0.65)))))
    end)
{%- endmacro %}

{% macro two_sided_p_value(z) -%}
    {#- P(|Z| >= |z|) for a standard normal Z; null when z is null. -#}
    (2.0 * {{ normal_upper_tail('abs(' ~ z ~ ')') }})
{%- endmacro %}

{% macro chi_square_p_value(chi_square, degrees_of_freedom, max_degrees_of_freedom=10) -%}
    {#- P(X >= x) for X chi-square with df = 1 .. max_degrees_of_freedom degrees of
        freedom, by the closed forms of the regularised upper gamma function
        (Abramowitz & Stegun 26.4.4 and 26.4.5):
          even df = 2m: exp(-x/2) * sum_{i=0}^{m-1} (x/2)^i / i!   (exact)
          odd df = 2m+1: 2 Q(sqrt x) + 2 phi(sqrt x) * sum_{i=1}^{m} x^((2i-1)/2) / (1*3*...*(2i-1))
                         (Q as in normal_upper_tail: absolute error below 1e-15)
        null for any other df (a test with more than max + 1 arms) and for a null x. -#}
    {%- set x = 'cast(' ~ chi_square ~ ' as double)' -%}
    (case
        {%- for df in range(1, max_degrees_of_freedom + 1) %}
        when {{ degrees_of_freedom }} = {{ df }} then
            {%- if df % 2 == 0 %}
            exp(-0.5 * {{ x }}) * (1.0
                {%- set ns = namespace(factorial=1) -%}
                {%- for i in range(1, df // 2) -%}
                {%- set ns.factorial = ns.factorial * i %}
                + power(0.5 * {{ x }}, {{ i }}) / {{ ns.factorial }}.0
                {%- endfor %})
            {%- else %}
            2.0 * {{ normal_upper_tail('sqrt(' ~ x ~ ')') }}
            {%- set ns = namespace(double_factorial=1) -%}
            {%- for i in range(1, (df - 1) // 2 + 1) -%}
            {%- set ns.double_factorial = ns.double_factorial * (2 * i - 1) %}
            + 2.0 * exp(-0.5 * {{ x }}) * 0.3989422804014327 * power({{ x }}, {{ (2 * i - 1) / 2 }}) / {{ ns.double_factorial }}.0
            {%- endfor %}
            {%- endif %}
        {%- endfor %}
    end)
{%- endmacro %}
