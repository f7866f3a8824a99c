package main

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshhold/meshhold/http/api"
)

// statusCommand is `meshhold status`: GET /system/status, which needs no credentials.
func statusCommand() *cobra.Command {
	var f apiFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the running daemon's status (no credentials needed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, cfg, err := f.connect()
			if err != nil {
				return err
			}
			var st api.StatusReply
			raw, err := c.do(cmd.Context(), http.MethodGet, "/system/status", nil, &st)
			if err != nil {
				return err
			}
			if asJSON {
				_, err = cmd.OutOrStdout().Write(raw)
				return err
			}
			printStatus(cmd.OutOrStdout(), c.base, cfg.path, st)
			return nil
		},
	}
	f.register(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the daemon's JSON as it is")
	return cmd
}

// printStatus writes the human summary of st.
func printStatus(w io.Writer, base, config string, st api.StatusReply) {
	fmt.Fprintf(w, "MeshHold %s at %s\n", st.Version, base)
	fmt.Fprintf(w, "  Node:      %s\n", st.NodeName)
	fmt.Fprintf(w, "  Peer ID:   %s\n", st.PeerID)
	mode := "limited (no swarm key: the mesh is off)"
	if st.HasSwarmKey {
		mode = fmt.Sprintf("mesh, network %s %s (%s)", st.Network.Name, st.Network.ID, st.Network.State)
	}
	fmt.Fprintf(w, "  Mode:      %s\n", mode)
	password := "set"
	if !st.PasswordSet {
		password = "not set (meshhold set-password -c " + config + ")"
	}
	fmt.Fprintf(w, "  Password:  %s\n", password)
	tlsLine := "off (plain HTTP)"
	if st.TLS.Enabled {
		kind := "configured"
		if st.TLS.SelfSigned {
			kind = "self-signed"
		}
		tlsLine = fmt.Sprintf("SHA-256 %s (%s)", st.TLS.Fingerprint, kind)
	}
	fmt.Fprintf(w, "  TLS:       %s\n", tlsLine)
	atRest := "off (secrets stored unsealed)"
	if st.AtRest.Enabled {
		atRest = "sealed, provider " + st.AtRest.Provider
	}
	fmt.Fprintf(w, "  At rest:   %s\n", atRest)
	fmt.Fprintf(w, "  Uptime:    %s\n", (time.Duration(st.UptimeMs) * time.Millisecond).Round(time.Second))
}
