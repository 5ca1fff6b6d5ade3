{{ quarantine_select('exchange_rates', ref('base_shop__exchange_rates'), carry_columns=['currency', 'rate_date']) }}
