package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/spf13/cobra"

	"github.com/meshhold/meshhold/actors/auth"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// setPasswordCommand is `meshhold set-password`: through the running daemon's admin token, or
// straight into the store when the daemon is stopped.
func setPasswordCommand() *cobra.Command {
	var path string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "set-password",
		Short: "Set the Web UI / API password (revokes every session and API token)",
		Long: "Set the password POST /api/v1/auth/login takes, without knowing the current one. With the daemon\n" +
			"running it goes through the API with the admin token in <metadata_dir>/cli-admin.token; with\n" +
			"the daemon stopped it is written into the store directly. Every session and API token is revoked.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(cmd.ErrOrStderr(), "info", "console")
			if err != nil {
				return err
			}
			cfg, err := loadConfig(path, log)
			if err != nil {
				return err
			}
			pw, err := readNewPassword(os.Stdin, cmd.ErrOrStderr(), fromStdin)
			if err != nil {
				return err
			}
			if err := auth.CheckPasswordRules("password", pw); err != nil {
				return err
			}
			if err := setPassword(cmd.Context(), cfg, pw); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "password set; every session and API token was revoked")
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", DefaultConfigPath(), "config file (created with defaults if missing, as the daemon does)")
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of prompting")
	return cmd
}

// setPassword asks the running daemon, else writes the store; a store locked by a daemon that
// was starting means the API after all.
func setPassword(ctx context.Context, cfg Config, pw string) error {
	dir := cfg.Node.MetadataDir
	if ri, err := readRunInfo(dir); err == nil {
		err := setPasswordOnline(ctx, cfg, ri, pw)
		var down *notRunningError
		if !errors.As(err, &down) {
			return err
		}
	}
	err := setPasswordOffline(ctx, cfg, pw)
	if !errors.Is(err, boltdb.ErrLocked) {
		return err
	}
	ri, rerr := readRunInfo(dir)
	if rerr != nil {
		return fmt.Errorf("a meshhold daemon holds the store in %s but has written no %s yet (still starting?): retry in a moment", dir, runFile)
	}
	if err := setPasswordOnline(ctx, cfg, ri, pw); err != nil {
		return fmt.Errorf("a meshhold daemon holds the store in %s, but: %w", dir, err)
	}
	return nil
}

// setPasswordOnline calls POST /auth/admin/set-password with the daemon's admin token.
func setPasswordOnline(ctx context.Context, cfg Config, ri runInfo, pw string) error {
	base, err := normalizeAPIURL(ri.APIURL)
	if err != nil {
		return fmt.Errorf("%s: %w", runFile, err)
	}
	c := newAPIClient(base, cfg)
	token, err := readAdminToken(cfg.Node.MetadataDir)
	if err != nil {
		return fmt.Errorf("read the daemon's admin token: %w", err)
	}
	_, err = c.do(ctx, http.MethodPost, "/auth/admin/set-password", map[string]string{"password": pw}, nil, api.AdminTokenHeader, token)
	return err
}
