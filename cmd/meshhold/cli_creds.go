package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshhold/meshhold/http/api"
)

// Environment variables the client commands read credentials from.
const (
	envToken    = "MESHHOLD_TOKEN"
	envPassword = "MESHHOLD_PASSWORD"
)

// defaultAPIURL is used when neither --api nor a running daemon's daemon.json names the API.
const defaultAPIURL = "http://127.0.0.1:8080"

// apiFlags are the flags the API commands share.
type apiFlags struct {
	config, api, token, password string
}

// register adds -c and --api, and with creds the credential flags.
func (f *apiFlags) register(cmd *cobra.Command, creds bool) {
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", DefaultConfigPath(), "config file (its metadata folder holds daemon.json and cli.token)")
	fl.StringVar(&f.api, "api", "", "API URL (default: the running daemon's, from daemon.json, else "+defaultAPIURL+")")
	if creds {
		fl.StringVar(&f.token, "token", "", "bearer token (default $"+envToken+")")
		fl.StringVar(&f.password, "password", "", "log in with this password for this command (default $"+envPassword+"; the variable keeps it out of ps)")
	}
}

// connect loads the config and builds a client for the API URL: --api, else the running
// daemon's, else the default.
func (f *apiFlags) connect() (*apiClient, Config, error) {
	cfg, err := clientConfig(f.config)
	if err != nil {
		return nil, Config{}, err
	}
	raw := f.api
	if raw == "" {
		raw = defaultAPIURL
		if ri, err := readRunInfo(cfg.Node.MetadataDir); err == nil && ri.APIURL != "" {
			raw = ri.APIURL
		}
	}
	base, err := normalizeAPIURL(raw)
	if err != nil {
		return nil, Config{}, err
	}
	return newAPIClient(base, cfg), cfg, nil
}

// session connects and authenticates: the client, its config, and the func that ends a
// password login again (call it when the command is done).
func (f *apiFlags) session(ctx context.Context) (*apiClient, Config, func(), error) {
	c, cfg, err := f.connect()
	if err != nil {
		return nil, cfg, nil, err
	}
	logout, err := f.authenticate(ctx, c, cfg)
	if err != nil {
		return nil, cfg, nil, err
	}
	return c, cfg, logout, nil
}

// authenticate gives c a bearer from the first credentials found: --token, --password,
// $MESHHOLD_TOKEN, $MESHHOLD_PASSWORD, then the saved cli.token. A password logs in; the
// returned func logs that session out again (a no-op otherwise).
func (f *apiFlags) authenticate(ctx context.Context, c *apiClient, cfg Config) (func(), error) {
	noop := func() {}
	switch {
	case f.token != "":
		c.bearer = f.token
		return noop, nil
	case f.password != "":
		return login(ctx, c, f.password)
	case os.Getenv(envToken) != "":
		c.bearer = os.Getenv(envToken)
		return noop, nil
	case os.Getenv(envPassword) != "":
		return login(ctx, c, os.Getenv(envPassword))
	}
	path := savedTokenPath(cfg)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no credentials: pass --token or --password (or set $%s or $%s), or save an API token with: meshhold token create NAME --save --password …", envToken, envPassword)
	}
	if err != nil {
		return nil, fmt.Errorf("read the saved token: %w", err)
	}
	c.bearer = strings.TrimSpace(string(b))
	c.hint401 = "it was the saved token in " + path + ": make a new one with `meshhold token create NAME --save --password …`, or delete the file"
	return noop, nil
}

// login trades password for a session bearer and returns the func that logs it out.
func login(ctx context.Context, c *apiClient, password string) (func(), error) {
	var s api.SessionReply
	if _, err := c.do(ctx, http.MethodPost, "/auth/login", map[string]string{"password": password}, &s); err != nil {
		return nil, fmt.Errorf("log in: %w", err)
	}
	c.bearer = s.Token
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = c.do(ctx, http.MethodPost, "/auth/logout", nil, nil)
	}, nil
}
