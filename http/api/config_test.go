package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/meshhold/meshhold/http/api"
)

// parse decodes an api: section strictly onto the defaults, as cmd/meshhold does.
func parse(t *testing.T, src string) (api.Config, error) {
	t.Helper()
	c := api.Defaults()
	if err := yaml.UnmarshalWithOptions([]byte(src), &c, yaml.Strict()); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func TestConfigDefaults(t *testing.T) {
	c, err := parse(t, "{}")
	if err != nil {
		t.Fatal(err)
	}
	if c.EffectiveBind() != "127.0.0.1:8080" || c.TLS != "auto" || c.UseTLS() {
		t.Errorf("bind %q tls %q useTLS %v", c.EffectiveBind(), c.TLS, c.UseTLS())
	}
	a := c.Auth
	if a.LoginMaxAttempts != 10 || a.LoginWindow.Std() != 15*time.Minute || a.LoginLockout.Std() != 15*time.Minute {
		t.Errorf("auth defaults %+v", a)
	}
}

func TestConfigParse(t *testing.T) {
	c, err := parse(t, "listen_addr: 0.0.0.0:9000\nauth:\n  login_window: 90s\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.EffectiveBind() != "0.0.0.0:9000" || !c.UseTLS() || c.Auth.LoginWindow.Std() != 90*time.Second {
		t.Errorf("%+v", c)
	}
	if c, err := parse(t, "bind: '[::1]:0'\nlisten_addr: '[::1]:0'\n"); err != nil || c.UseTLS() {
		t.Errorf("same bind and listen_addr: %v, tls %v", err, c.UseTLS())
	}
	if c, _ := parse(t, "bind: localhost:8080\ncert_file: c.pem\nkey_file: k.pem\n"); !c.UseTLS() {
		t.Error("cert files on loopback should serve TLS")
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	for src, want := range map[string]string{
		"bind: 8080":                                "api.bind:",
		"bind: 'host:http'":                         "api.bind:",
		"bind: 'host:70000'":                        "api.bind:",
		"listen_addr: nope":                         "api.listen_addr:",
		"bind: a:1\nlisten_addr: b:1":               "api.listen_addr:",
		"tls: maybe":                                "api.tls:",
		"tls: 'off'\ncert_file: c.pem\nkey_file: k": "api.tls:",
		"cert_file: c.pem":                          "api.cert_file:",
		"auth:\n  login_max_attempts: 0":            "api.auth.login_max_attempts:",
		"auth:\n  login_window: 0s":                 "api.auth.login_window:",
		"auth:\n  login_lockout: -1m":               "api.auth.login_lockout:",
		"auth:\n  login_window: 900":                "Go duration",
	} {
		_, err := parse(t, src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error containing %q", src, err, want)
		}
	}
}
