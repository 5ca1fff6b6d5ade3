{{ quarantine_select('events', ref('base_shop__events'), carry_columns=['event_id', 'visitor_id', 'customer_id']) }}
