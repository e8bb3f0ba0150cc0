// Package webhook delivers alerts as signed JSON to any HTTP endpoint.
//
// # Payload
//
// One POST per group of alerts, Content-Type application/json:
//
//	{"version": "1", "status": "firing"|"resolved", "test": false,
//	 "alerts": [{"fingerprint", "status", "labels", "summary", "details",
//	             "runURL", "runbookURL", "startsAt", "endsAt"}]}
//
// # Signature
//
// Each attempt carries X-Gantry-Timestamp (Unix seconds) and
// X-Gantry-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>.
// Signing the timestamp with the body lets a receiver reject a replayed
// request as well as a forged one; Verify does both checks. A retry is
// signed afresh, so a delivery that waited in back-off is not stale.
package webhook
