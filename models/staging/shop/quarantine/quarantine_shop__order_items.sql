{{ quarantine_select('order_items', ref('base_shop__order_items'),
    carry_columns=['order_id', 'product_id', 'line_number']) }}
