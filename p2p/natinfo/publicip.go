package natinfo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
)

// maxAnswer bounds the public-IP service's answer.
const maxAnswer = 4 << 10

// publicIP asks the configured service for this node's public IP: a bare address, or JSON with
// an "ip" field.
func (c *Checker) publicIP(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.PublicIPURL, nil)
	if err != nil {
		return "", fmt.Errorf("the public IP URL is not usable: %w", err)
	}
	req.Header.Set("Accept", "application/json, text/plain")
	resp, err := c.cfg.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("the public IP lookup failed: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("the public IP lookup failed: %w", err)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("the public IP service answered %s", resp.Status)
	case len(body) > maxAnswer:
		return "", fmt.Errorf("the public IP service's answer is longer than %d bytes", maxAnswer)
	}
	text := strings.TrimSpace(string(body))
	var doc struct {
		IP string `json:"ip"`
	}
	if strings.HasPrefix(text, "{") && json.Unmarshal(body, &doc) == nil {
		text = strings.TrimSpace(doc.IP)
	}
	ip, err := netip.ParseAddr(text)
	if err != nil {
		return "", fmt.Errorf("the public IP service's answer is not an IP address")
	}
	return ip.Unmap().String(), nil
}
