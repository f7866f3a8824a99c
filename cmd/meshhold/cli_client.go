package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/meshhold/meshhold/http/api"
)

// clientTimeout bounds one API call; the daemon bounds its own work at askLimit.
const clientTimeout = askLimit + 15*time.Second

// apiClient calls one daemon's REST API.
type apiClient struct {
	base   string // http(s)://host:port/api/v1
	config string // the config file, for hints
	hc     *http.Client
	bearer string
	// hint401 is added to a 401 message: where the rejected credentials came from.
	hint401 string
}

// apiError is a non-2xx answer: the daemon's {"error"} message and the status.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, http.StatusText(e.Status))
}

// notRunningError means nothing listens at the API URL.
type notRunningError struct {
	URL, Config string
}

func (e *notRunningError) Error() string {
	return fmt.Sprintf("the daemon is not running at %s (connection refused); start it with: meshhold daemon -c %s", e.URL, e.Config)
}

// newAPIClient builds a client for base (already normalized); https trusts the local daemon's
// certificate (cli_tls.go).
func newAPIClient(base string, cfg Config) *apiClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if strings.HasPrefix(base, "https://") {
		tr.TLSClientConfig = clientTLS(cfg)
	}
	return &apiClient{base: base, config: cfg.path, hc: &http.Client{Transport: tr, Timeout: clientTimeout}}
}

// normalizeAPIURL accepts host:port or an http(s) URL and returns it ending in /api/v1.
func normalizeAPIURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("--api: %q is not an http(s) URL such as http://127.0.0.1:8080", raw)
	}
	p := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(p, api.Prefix) {
		p += api.Prefix
	}
	u.Path, u.RawPath, u.RawQuery, u.Fragment = p, "", "", ""
	return u.String(), nil
}

// do sends in (JSON, when not nil) to path under the base URL and decodes a 2xx answer into out
// (when not nil); it returns the raw body. header holds extra name, value pairs.
func (c *apiClient) do(ctx context.Context, method, path string, in, out any, header ...string) ([]byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.connError(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return raw, c.statusError(resp.StatusCode, raw)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, fmt.Errorf("%s %s: the answer is not the expected JSON: %w", method, path, err)
		}
	}
	return raw, nil
}

// statusError turns a non-2xx answer into an apiError with the daemon's message.
func (c *apiClient) statusError(status int, raw []byte) error {
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(raw))
	if json.Unmarshal(raw, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	if msg == "" {
		msg = strings.ToLower(http.StatusText(status))
	}
	if status == http.StatusUnauthorized && c.hint401 != "" {
		msg += "; " + c.hint401
	}
	return &apiError{Status: status, Message: msg}
}

// connError explains a failed connection: refused means no daemon listens there.
func (c *apiClient) connError(err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return &notRunningError{URL: c.base, Config: c.config}
	}
	return fmt.Errorf("cannot reach the daemon at %s: %w", c.base, err)
}
