package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/meshhold/meshhold/bus"
	"github.com/meshhold/meshhold/messages/eventv1"
)

// outcome is what one attempt's answer means for the event.
type outcome int

const (
	delivered outcome = iota // 2xx
	retry                    // no answer, 408, 429, 3xx, 5xx …
	refused                  // another 4xx: the receiver will never take it
)

// classify maps an attempt's status (0: no answer) to its outcome.
func classify(status int) outcome {
	switch {
	case status >= 200 && status < 300:
		return delivered
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests:
		return retry
	case status >= 400 && status < 500:
		return refused
	}
	return retry
}

// Backoff is the wait after a delivery's failed attempt number attempt (from 1): min doubled
// per earlier failure, at most max.
func Backoff(attempt int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 1; i < attempt && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}

// deliver sends ev until the receiver accepts or refuses it, waiting Backoff between attempts.
// It returns an error only when ctx ends first; the event then counts as not delivered.
func (s *Sender) deliver(ctx context.Context, ev *eventv1.Event) error {
	body := bus.Envelope(ev)
	began := time.Now()
	for attempt := 1; ; attempt++ {
		status, retryAfter, err := s.post(ctx, ev, body)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		in := Incident{Delivery: ev.GetLogSeq(), EventType: ev.GetType(), Status: status, Attempts: attempt}
		switch classify(status) {
		case delivered:
			s.stats.delivered.Add(1)
			if attempt > 1 {
				s.log.Info("webhook delivered after failures", "delivery", in.Delivery, "event_type", in.EventType,
					"attempts", attempt, "took", time.Since(began).Round(time.Millisecond))
				in.Type, in.Status = TypeRecovered, 0
				s.report(ctx, in)
			}
			return nil
		case refused:
			s.stats.dropped.Add(1)
			s.log.Error("webhook receiver refused an event; it will not be sent again", "delivery", in.Delivery,
				"event_type", in.EventType, "status", status, "attempts", attempt)
			in.Type = TypeDropped
			s.report(ctx, in)
			return nil
		}
		wait := max(Backoff(attempt, s.cfg.MinBackoff, s.cfg.MaxBackoff), min(retryAfter, s.cfg.MaxBackoff))
		if err == nil {
			err = fmt.Errorf("status %d", status)
		}
		s.stats.retries.Add(1)
		s.log.Warn("webhook delivery failed; retrying", "delivery", in.Delivery, "event_type", in.EventType,
			"status", status, "attempt", attempt, "retry_in", wait, "err", err)
		if attempt == 1 {
			in.Type, in.Error, in.RetryInMs = TypeFailing, err.Error(), wait.Milliseconds()
			s.report(ctx, in)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// post makes one attempt: the status (0 when there was no answer), the Retry-After the
// receiver asked for (0 when none) and the transport error.
func (s *Sender) post(ctx context.Context, ev *eventv1.Event, body []byte) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, fmt.Errorf("build request: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "MeshHold-Webhook/1")
	h.Set(HeaderEvent, ev.GetType())
	h.Set(HeaderDelivery, strconv.FormatUint(ev.GetLogSeq(), 10))
	h.Set(HeaderWebhook, s.cfg.Name)
	h.Set(HeaderSignature, Sign([]byte(s.cfg.Secret.Reveal()), body))
	resp, err := s.deps.Client.Do(req)
	if err != nil {
		return 0, 0, redactURL(err)
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10) // lets the connection be reused
	_ = resp.Body.Close()
	return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After")), nil
}

// retryAfter parses a Retry-After value: seconds or an HTTP date; 0 when absent or invalid.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// redactURL drops the URL from a client error: webhook URLs often carry a secret in their path.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
