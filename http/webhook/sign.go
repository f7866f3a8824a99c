package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The headers of every delivery (docs/webhooks.md).
const (
	// HeaderSignature carries "sha256=<hex HMAC-SHA256 of the raw body, keyed by the secret>".
	HeaderSignature = "X-MeshHold-Signature"
	// HeaderEvent carries the event's type.
	HeaderEvent = "X-MeshHold-Event"
	// HeaderDelivery carries the event's log_seq: the same on every retry, so a receiver can
	// drop a repeat.
	HeaderDelivery = "X-MeshHold-Delivery"
	// HeaderWebhook carries the name of the outbound webhook, as config.yaml declares it.
	HeaderWebhook = "X-MeshHold-Webhook"
)

// signaturePrefix starts the signature header's value.
const signaturePrefix = "sha256="

// Sign returns the X-MeshHold-Signature value of body under secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports, in constant time, whether header is body's signature under secret: what a
// receiver checks before it trusts a delivery.
func Verify(secret, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
