package store

// AlertStore persists alerting: alerts by fingerprint, notification groups,
// every delivery, silences and test-fires.
type AlertStore interface {
}
