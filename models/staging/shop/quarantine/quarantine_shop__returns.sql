{{ quarantine_select('returns', ref('base_shop__returns'), carry_columns=['order_id', 'product_id']) }}
