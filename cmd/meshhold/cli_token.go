package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/persist/configfile"
)

// tokenCommand is `meshhold token`: create, list and revoke API tokens.
func tokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage API tokens (long-lived bearers for scripts)",
		Args:  cobra.NoArgs, // an unknown subcommand is an error, not the help
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(tokenCreateCommand(), tokenListCommand(), tokenRevokeCommand())
	return cmd
}

// tokenCreateCommand is `meshhold token create NAME`: the token goes to stdout, alone.
func tokenCreateCommand() *cobra.Command {
	var f apiFlags
	var ttl time.Duration
	var save bool
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an API token and print it once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if ttl < 0 {
				return errors.New("--ttl: must not be negative (0: never expires)")
			}
			c, cfg, logout, err := f.session(cmd.Context())
			if err != nil {
				return err
			}
			defer logout()
			var t api.TokenReply
			req := map[string]any{"name": args[0], "ttl": messages.Duration(ttl)}
			if _, err := c.do(cmd.Context(), http.MethodPost, "/auth/tokens", req, &t); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), t.Token)
			errOut := cmd.ErrOrStderr()
			fmt.Fprintf(errOut, "API token %q (id %s), expires %s.\n", t.Name, t.ID, formatMs(t.ExpiresMs))
			fmt.Fprintln(errOut, "It is shown once and never again: store it now.")
			if save {
				path := savedTokenPath(cfg)
				if err := configfile.WriteAtomic(path, []byte(t.Token+"\n"), 0o600); err != nil {
					return fmt.Errorf("save the token: %w", err)
				}
				fmt.Fprintf(errOut, "Saved to %s (mode 0600): later commands use it when no --token or --password is given.\n", path)
			}
			return nil
		},
	}
	f.register(cmd, true)
	cmd.Flags().DurationVar(&ttl, "ttl", 720*time.Hour, "lifetime (0: never expires)")
	cmd.Flags().BoolVar(&save, "save", false, "also save it to <metadata_dir>/cli.token for later commands")
	return cmd
}

// tokenListCommand is `meshhold token ls`.
func tokenListCommand() *cobra.Command {
	var f apiFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the API tokens (never their values)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, logout, err := f.session(cmd.Context())
			if err != nil {
				return err
			}
			defer logout()
			var list struct {
				Tokens []messages.TokenInfo `json:"tokens"`
			}
			raw, err := c.do(cmd.Context(), http.MethodGet, "/auth/tokens", nil, &list)
			if err != nil {
				return err
			}
			if asJSON {
				_, err = cmd.OutOrStdout().Write(raw)
				return err
			}
			return printTokens(cmd.OutOrStdout(), list.Tokens)
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the daemon's JSON as it is")
	return cmd
}

// tokenRevokeCommand is `meshhold token revoke ID`.
func tokenRevokeCommand() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token (its id from `meshhold token ls`)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, logout, err := f.session(cmd.Context())
			if err != nil {
				return err
			}
			defer logout()
			if _, err := c.do(cmd.Context(), http.MethodDelete, "/auth/tokens/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked\n", args[0])
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}

// printTokens writes the token table.
func printTokens(w io.Writer, tokens []messages.TokenInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED\tEXPIRES\tLAST USED")
	for _, t := range tokens {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, formatMs(t.CreatedMs), formatMs(t.ExpiresMs), formatMs(t.LastUsedMs))
	}
	return tw.Flush()
}

// formatMs formats a time in ms since epoch as local time; 0 is "never".
func formatMs(ms int64) string {
	if ms == 0 {
		return "never"
	}
	return time.UnixMilli(ms).Local().Format("2006-01-02 15:04")
}
