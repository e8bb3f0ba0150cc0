// Package email delivers alerts as e-mail over SMTP.
//
// # Transport
//
// The notifier speaks SMTP itself (net/smtp over a connection it dials, so
// each attempt honours its deadline and ctx). When the server offers
// STARTTLS the session always upgrades, verifying the certificate; a
// failed handshake fails the delivery rather than falling back to
// plaintext. Credentials are never sent over an unencrypted session: with
// a Username configured and no STARTTLS on offer, the delivery fails
// permanently before AUTH. RequireTLS extends that refusal to sessions
// without credentials. Implicit TLS (port 465) is not supported.
//
// SMTP 4xx replies and network errors are retried; 5xx replies are not.
// Result.Status holds the last SMTP reply code.
//
// # Message
//
// One message per group, multipart/alternative with a plain-text and an
// HTML part (quoted-printable), Subject starting [FIRING], [RESOLVED] or
// [TEST] [FIRING], and Auto-Submitted: auto-generated so that auto-replies
// stay quiet. A test-fire also carries X-Gantry-Test: true.
package email
