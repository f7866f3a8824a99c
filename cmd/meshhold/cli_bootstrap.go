package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshhold/meshhold/http/api"
)

// bootstrapTicketCommand is `meshhold bootstrap-ticket`: a single-use ticket from the daemon's
// bootstrap socket; the ticket goes to stdout, alone, and how to use it to stderr.
func bootstrapTicketCommand() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "bootstrap-ticket",
		Short: "Mint a single-use ticket that logs a browser or script in (local user only)",
		Long: "Mint a single-use bootstrap ticket over the daemon's unix socket <metadata_dir>/bootstrap.sock\n" +
			"(mode 0600: only the user running the daemon can). It expires after 60 s; trade it for a 24 h\n" +
			"bearer with POST /api/v1/auth/bootstrap-exchange, or open the Web UI with ?bootstrap=<ticket>.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, cfg, err := f.connect()
			if err != nil {
				return err
			}
			t, err := mintTicket(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), t.Ticket)
			printTicketHints(cmd.ErrOrStderr(), c.base, cfg, t)
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}

// mintTicket asks the bootstrap socket for a ticket: POST /ticket.
func mintTicket(ctx context.Context, cfg Config) (api.TicketReply, error) {
	var t api.TicketReply
	sock := filepath.Join(cfg.Node.MetadataDir, bootstrapSock)
	hc := &http.Client{Timeout: clientTimeout, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://meshhold/ticket", nil)
	if err != nil {
		return t, err
	}
	resp, err := hc.Do(req)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		return t, fmt.Errorf("the daemon is not running: nothing answers on its bootstrap socket %s; start it with: meshhold daemon -c %s", sock, cfg.path)
	}
	if err != nil {
		return t, fmt.Errorf("bootstrap socket %s: %w", sock, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return t, fmt.Errorf("bootstrap socket: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return t, (&apiClient{}).statusError(resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &t); err != nil || t.Ticket == "" {
		return t, fmt.Errorf("bootstrap socket: the answer is not a ticket: %q", raw)
	}
	return t, nil
}

// printTicketHints tells how to use ticket t with the API at base.
func printTicketHints(w io.Writer, base string, cfg Config, t api.TicketReply) {
	site := strings.TrimSuffix(base, api.Prefix)
	fmt.Fprintf(w, "Single use; expires in %s (at %s).\n", time.Until(time.UnixMilli(t.ExpiresMs)).Round(time.Second), time.UnixMilli(t.ExpiresMs).Local().Format("15:04:05"))
	fmt.Fprintf(w, "Open the Web UI: %s/?bootstrap=%s\n", site, url.QueryEscape(t.Ticket))
	cacert := ""
	if file := apiCertFile(cfg); strings.HasPrefix(base, "https://") && fileExists(file) {
		cacert = " --cacert " + file
	}
	fmt.Fprintln(w, "Or trade it for a 24 h bearer:")
	fmt.Fprintf(w, "  curl -s%s %s/auth/bootstrap-exchange -H 'content-type: application/json' -d '{\"ticket\":\"%s\"}'\n", cacert, base, t.Ticket)
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
