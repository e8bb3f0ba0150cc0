-- Pruning by age (store.AlertStore.PruneAlerts) finds what ended long ago
-- without a scan.
CREATE INDEX alert_deliveries_sent ON alert_deliveries (sent_at) WHERE test_fire_id IS NULL;
CREATE INDEX alerts_resolved ON alerts (ends_at) WHERE state = 'resolved';
