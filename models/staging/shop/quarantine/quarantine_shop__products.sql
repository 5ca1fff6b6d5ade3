{{ quarantine_select('products', ref('base_shop__products'), carry_columns=['product_id']) }}
