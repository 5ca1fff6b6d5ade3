{{ quarantine_select(
    'sessions', ref('base_shop__sessions'),
    carry_columns=['session_id', 'visitor_id', 'customer_id']
) }}
