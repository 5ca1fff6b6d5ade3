{{ quarantine_select('customers', ref('base_shop__customers'), carry_columns=['customer_id']) }}
