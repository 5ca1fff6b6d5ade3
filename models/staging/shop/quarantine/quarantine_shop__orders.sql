{{ quarantine_select('orders', ref('base_shop__orders'), carry_columns=['order_id', 'customer_id']) }}
