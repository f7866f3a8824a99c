package sigv4

import (
	"encoding/xml"
	"errors"
	"net/http"
)

// errorDocument is the S3 error body: <Error><Code>…</Code><Message>…</Message>…</Error>.
type errorDocument struct {
	XMLName          xml.Name `xml:"Error"`
	Code             string   `xml:"Code"`
	Message          string   `xml:"Message"`
	Resource         string   `xml:"Resource,omitempty"`
	RequestID        string   `xml:"RequestId,omitempty"`
	CanonicalRequest string   `xml:"CanonicalRequest,omitempty"`
	StringToSign     string   `xml:"StringToSign,omitempty"`
}

// WriteError answers r with err as an S3 XML error document (no body for HEAD, as S3 does).
// An error that is not an *Error is answered as InternalError 500 without its text, so no
// internal detail reaches the client; the caller logs it.
func WriteError(w http.ResponseWriter, r *http.Request, err error, requestID string) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: "InternalError", Status: http.StatusInternalServerError,
			Message: "We encountered an internal error. Please try again."}
	}
	doc := errorDocument{Code: e.Code, Message: e.Message, Resource: r.URL.Path, RequestID: requestID,
		CanonicalRequest: e.CanonicalRequest, StringToSign: e.StringToSign}
	body, mErr := xml.Marshal(doc)
	if mErr != nil { // only strings inside: cannot happen, but never send a half document
		body = nil
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	if requestID != "" {
		h.Set("X-Amz-Request-Id", requestID)
	}
	w.WriteHeader(e.Status)
	if r.Method == http.MethodHead || body == nil {
		return
	}
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
