// Package smtptest runs an in-process SMTP server for tests, as httptest
// does for HTTP: it listens on loopback, offers STARTTLS with a
// certificate made on the spot (RootCAs trusts it), checks AUTH PLAIN
// against known users, and records every message and every command line it
// read, after decryption, so a test can assert what went over the wire.
//
// It speaks EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP
// and QUIT — enough for net/smtp — and nothing about delivery.
package smtptest
