{{ quarantine_select('campaign_sends', ref('base_shop__campaign_sends'), carry_columns=['send_id', 'customer_id']) }}
