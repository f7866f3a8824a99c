package main

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/meshhold/meshhold/messages"
)

// VaultDecl declares a vault this node holds. Its policy fields seed the vault's replicated
// policy record only when the vault is first created; vault keys never live here.
type VaultDecl struct {
	ID                string            `yaml:"id"`
	Name              string            `yaml:"name"`
	Path              string            `yaml:"path"`
	ReplicationFactor int               `yaml:"replication_factor"`
	HardQuota         messages.Size     `yaml:"hard_quota"`
	KeepVersions      int               `yaml:"keep_versions"`
	KeepDeletedFor    messages.Duration `yaml:"keep_deleted_for"`
}

// WebhookDecl maps an inbound webhook token to the chat room it posts into.
type WebhookDecl struct {
	Name   string          `yaml:"name"`
	Token  messages.Secret `yaml:"token"`
	RoomID string          `yaml:"room_id"`
}

// OutboundWebhook delivers the node's events to a URL, signed with Secret.
type OutboundWebhook struct {
	Name   string          `yaml:"name"`
	URL    string          `yaml:"url"`
	Events []string        `yaml:"events"`
	Secret messages.Secret `yaml:"secret"`
}

// PortForward is an ssh -L / -R style forward through the mesh.
type PortForward struct {
	ID          string `yaml:"id"`
	Name        string `yaml:"name"`
	Direction   string `yaml:"direction"`
	Listen      string `yaml:"listen"`
	Remote      string `yaml:"remote"`
	ExitNodeID  string `yaml:"exit_node_id"`
	Autostart   bool   `yaml:"autostart"`
	OpenViaUPnP bool   `yaml:"open_via_upnp"`
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// eventTypePattern is an event type, or the prefix of one, as outbound_webhooks[].events names it.
var eventTypePattern = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

func (c *Config) validateDecls() error {
	ids, names := map[string]bool{}, map[string]bool{}
	for i, v := range c.Vaults {
		key := fmt.Sprintf("vaults[%d]", i)
		switch {
		case !idPattern.MatchString(v.ID):
			return fmt.Errorf("%s.id: %q must be 1–64 letters, digits, '-' or '_'", key, v.ID)
		case ids[v.ID]:
			return fmt.Errorf("%s.id: %q is declared twice", key, v.ID)
		case v.Name == "":
			return fmt.Errorf("%s.name: must not be empty", key)
		case names[v.Name]:
			return fmt.Errorf("%s.name: %q is used by another vault", key, v.Name)
		case v.ReplicationFactor < 0 || v.ReplicationFactor > 16:
			return fmt.Errorf("%s.replication_factor: %d is not between 0 (default) and 16", key, v.ReplicationFactor)
		case v.HardQuota < 0, v.KeepVersions < 0, v.KeepDeletedFor < 0:
			return fmt.Errorf("%s: hard_quota, keep_versions and keep_deleted_for must not be negative", key)
		}
		ids[v.ID], names[v.Name] = true, true
	}
	tokens := map[string]bool{}
	for i, w := range c.Webhooks {
		key := fmt.Sprintf("webhooks[%d]", i)
		switch {
		case len(w.Token.Reveal()) < 16:
			return fmt.Errorf("%s.token: must be at least 16 characters (it is the webhook's only secret)", key)
		case tokens[w.Token.Reveal()]:
			return fmt.Errorf("%s.token: used by another webhook", key)
		case w.RoomID == "":
			return fmt.Errorf("%s.room_id: must not be empty", key)
		}
		tokens[w.Token.Reveal()] = true
	}
	outNames := map[string]bool{}
	for i, o := range c.OutboundWebhooks {
		key := fmt.Sprintf("outbound_webhooks[%d]", i)
		u, err := url.Parse(o.URL)
		switch {
		case !idPattern.MatchString(o.Name):
			return fmt.Errorf("%s.name: %q must be 1–64 letters, digits, '-' or '_' (it names the webhook's stored cursor)", key, o.Name)
		case outNames[o.Name]:
			return fmt.Errorf("%s.name: %q is used by another outbound webhook", key, o.Name)
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return fmt.Errorf("%s.url: %q is not an http:// or https:// URL", key, o.URL)
		case len(o.Secret.Reveal()) < 16:
			return fmt.Errorf("%s.secret: must be at least 16 characters (it signs every delivery)", key)
		}
		for j, e := range o.Events {
			if e != "*" && !eventTypePattern.MatchString(strings.TrimSuffix(e, "*")) {
				return fmt.Errorf("%s.events[%d]: %q is not an event type (vault_created), a prefix (vault_*) or \"*\"", key, j, e)
			}
		}
		outNames[o.Name] = true
	}
	fwd := map[string]bool{}
	for i, p := range c.PortForwards {
		key := fmt.Sprintf("port_forwards[%d]", i)
		switch {
		case !idPattern.MatchString(p.ID):
			return fmt.Errorf("%s.id: %q must be 1–64 letters, digits, '-' or '_'", key, p.ID)
		case fwd[p.ID]:
			return fmt.Errorf("%s.id: %q is declared twice", key, p.ID)
		case p.Direction != "forward" && p.Direction != "reverse":
			return fmt.Errorf("%s.direction: %q is not forward or reverse", key, p.Direction)
		case !isHostPort(p.Listen):
			return fmt.Errorf("%s.listen: %q is not host:port", key, p.Listen)
		case !isHostPort(p.Remote):
			return fmt.Errorf("%s.remote: %q is not host:port", key, p.Remote)
		case p.ExitNodeID == "":
			return fmt.Errorf("%s.exit_node_id: must not be empty", key)
		}
		fwd[p.ID] = true
	}
	return nil
}

func isHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	return err == nil && port != ""
}
