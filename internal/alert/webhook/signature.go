package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of a signed delivery.
const (
	HeaderTimestamp = "X-Gantry-Timestamp"
	HeaderSignature = "X-Gantry-Signature"
)

const sigPrefix = "sha256="

// Errors Verify returns, wrapped.
var (
	ErrBadSignature = errors.New("bad signature")
	ErrStale        = errors.New("timestamp outside the allowed skew")
)

// Sign returns the X-Gantry-Signature value for body sent at timestamp ts.
func Sign(secret []byte, ts string, body []byte) string {
	return sigPrefix + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a delivery for a receiver: that sig is the HMAC of ts and
// body under secret, and that ts is within maxSkew of now, which bounds how
// long a captured request can be replayed. The comparison takes constant
// time.
func Verify(secret []byte, ts string, body []byte, sig string, maxSkew time.Duration, now time.Time) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("verify webhook: timestamp %q: %w", ts, ErrStale)
	}
	if skew := now.Sub(time.Unix(sec, 0)); skew > maxSkew || skew < -maxSkew {
		return fmt.Errorf("verify webhook: sent %s from now: %w", skew.Round(time.Second), ErrStale)
	}
	hexSig, ok := strings.CutPrefix(sig, sigPrefix)
	if !ok {
		return fmt.Errorf("verify webhook: want a %q signature: %w", sigPrefix, ErrBadSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || !hmac.Equal(got, mac(secret, ts, body)) {
		return fmt.Errorf("verify webhook: %w", ErrBadSignature)
	}
	return nil
}
