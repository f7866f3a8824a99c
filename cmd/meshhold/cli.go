package main

import "github.com/spf13/cobra"

// clientCommands are the commands that talk to a daemon (cli_*.go); docs/cli.md documents them.
func clientCommands() []*cobra.Command {
	return []*cobra.Command{
		setPasswordCommand(),
		statusCommand(),
		tokenCommand(),
		bootstrapTicketCommand(),
		auditCommand(),
		s3KeyCommand(), s3PermCommand(), vaultCommand(), // cli_s3.go
	}
}
