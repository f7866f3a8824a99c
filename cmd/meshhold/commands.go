package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/meshhold/meshhold/p2p/swarmkey"
)

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "meshhold",
		Short:         "MeshHold: a self-hosted peer-to-peer store, chat server and more",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(daemonCommand(), keygenCommand(), versionCommand())
	root.AddCommand(clientCommands()...)
	return root
}

func daemonCommand() *cobra.Command {
	var path, level, format, bareListen string
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run the daemon (creates the config with defaults on first start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			boot, err := newLogger(os.Stderr, orDefault(level, "info"), orDefault(format, "console"))
			if err != nil {
				return err
			}
			cfg, err := loadConfig(path, boot)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("log-level") {
				cfg.Log.Level = level
			}
			if cmd.Flags().Changed("log-format") {
				cfg.Log.Format = format
			}
			log, err := newLogger(os.Stderr, cfg.Log.Level, cfg.Log.Format)
			if err != nil {
				return err
			}
			if bareListen != "" {
				if err := serveBare(bareListen, log); err != nil {
					return err
				}
			}
			return runDaemon(cfg, log, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", DefaultConfigPath(), "config file (created with defaults if missing)")
	cmd.Flags().StringVar(&level, "log-level", "", "debug, info, warn or error (default: log.level in the config, else info)")
	cmd.Flags().StringVar(&format, "log-format", "", "console or json (default: log.format in the config, else console)")
	cmd.Flags().StringVar(&bareListen, "bench-bare-listen", "", "benchmarks only: also serve a bare net/http handler there")
	_ = cmd.Flags().MarkHidden("bench-bare-listen")
	return cmd
}

func keygenCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "keygen",
		Short: "Print a fresh swarm key (3-line PSK) for config.yaml's swarm_key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := swarmkey.Generate()
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), k.Text())
			return err
		},
	}
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "meshhold %s\n", version)
		},
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
