package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/messages"
)

// s3KeyCommand is `meshhold s3-key`: create, list and delete the S3 gateway's access keys.
func s3KeyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "s3-key",
		Short: "Manage the S3 gateway's access keys",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(s3KeyAddCommand(), s3KeyListCommand(), s3KeyRemoveCommand())
	return cmd
}

// s3KeyAddCommand is `meshhold s3-key add --label L`: the id and secret go to stdout, once.
func s3KeyAddCommand() *cobra.Command {
	var f apiFlags
	var req api.S3KeyRequest
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Create an S3 access key and print its secret once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var k api.S3KeyCreated
			err := f.call(cmd.Context(), http.MethodPost, "/s3/keys", req, &k)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "access_key_id: %s\nsecret_access_key: %s\n", k.AccessKeyID, k.SecretAccessKey)
			fmt.Fprintln(cmd.ErrOrStderr(), "The secret is shown once and never again: store it now. Grant buckets with `meshhold s3-perm grant`.")
			return nil
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&req.Label, "label", "", "what the key is for (shown by s3-key ls)")
	cmd.Flags().BoolVar(&req.CanCreateBuckets, "can-create-buckets", false, "let the key create buckets (aws s3 mb, restic init); it gets every op on those")
	return cmd
}

// s3KeyListCommand is `meshhold s3-key ls`.
func s3KeyListCommand() *cobra.Command {
	var f apiFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the S3 access keys (never their secrets)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list api.S3KeyListReply
			raw, err := f.callRaw(cmd.Context(), http.MethodGet, "/s3/keys", nil, &list)
			if err != nil || asJSON {
				return writeRaw(cmd.OutOrStdout(), raw, err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCESS KEY ID\tLABEL\tCREATE BUCKETS\tCREATED")
			for _, k := range list.Keys {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.AccessKeyID, k.Label, yesNo(k.CanCreateBuckets), formatMs(k.CreatedMs))
			}
			return tw.Flush()
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the daemon's JSON as it is")
	return cmd
}

// s3KeyRemoveCommand is `meshhold s3-key rm KEY`.
func s3KeyRemoveCommand() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:     "rm KEY",
		Aliases: []string{"remove"},
		Short:   "Delete an S3 access key and its grants",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.call(cmd.Context(), http.MethodDelete, "/s3/keys/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "S3 access key %s deleted\n", args[0])
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}

// s3PermCommand is `meshhold s3-perm`: grant, list and revoke keys' operations on buckets.
func s3PermCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "s3-perm",
		Short: "Manage what S3 access keys may do on which buckets",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(s3PermGrantCommand(), s3PermListCommand(), s3PermRevokeCommand())
	return cmd
}

// s3PermGrantCommand is `meshhold s3-perm grant KEY BUCKET OPS`, OPS like read,write.
func s3PermGrantCommand() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "grant KEY BUCKET OPS",
		Short: "Let a key do OPS (read, write, delete; comma-separated) on BUCKET, replacing what it had there",
		Args:  cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ops []string
			for _, a := range args[2:] {
				for op := range strings.SplitSeq(a, ",") {
					if op = strings.TrimSpace(op); op != "" {
						ops = append(ops, op)
					}
				}
			}
			var g messages.S3Grant
			if err := f.call(cmd.Context(), http.MethodPut, "/s3/permissions", messages.S3Grant{KeyID: args[0], Bucket: args[1], Ops: ops}, &g); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s may %s on %s\n", g.KeyID, strings.Join(g.Ops, ","), g.Bucket)
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}

// s3PermListCommand is `meshhold s3-perm ls [KEY]`.
func s3PermListCommand() *cobra.Command {
	var f apiFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "ls [KEY]",
		Aliases: []string{"list"},
		Short:   "List the grants, of one key when KEY is given",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/s3/permissions"
			if len(args) == 1 {
				path += "?key_id=" + url.QueryEscape(args[0])
			}
			var list api.S3GrantListReply
			raw, err := f.callRaw(cmd.Context(), http.MethodGet, path, nil, &list)
			if err != nil || asJSON {
				return writeRaw(cmd.OutOrStdout(), raw, err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCESS KEY ID\tBUCKET\tOPS")
			for _, g := range list.Permissions {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", g.KeyID, g.Bucket, strings.Join(g.Ops, ","))
			}
			return tw.Flush()
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the daemon's JSON as it is")
	return cmd
}

// s3PermRevokeCommand is `meshhold s3-perm revoke KEY BUCKET`.
func s3PermRevokeCommand() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "revoke KEY BUCKET",
		Short: "Remove a key's grant on a bucket",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"key_id": {args[0]}, "bucket": {args[1]}}
			if err := f.call(cmd.Context(), http.MethodDelete, "/s3/permissions?"+q.Encode(), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s may no longer use %s\n", args[0], args[1])
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}

// vaultCommand is `meshhold vault`; today it only sets a vault's S3 alias.
func vaultCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vault",
		Short: "Manage vaults",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(vaultS3AliasCommand())
	return cmd
}

// vaultS3AliasCommand is `meshhold vault s3-alias VAULT BUCKET`: the S3 gateway serves the vault
// as BUCKET ("" removes the alias).
func vaultS3AliasCommand() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "s3-alias VAULT BUCKET",
		Short: "Serve a vault (its id or name) through the S3 gateway as BUCKET; \"\" removes the alias",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, logout, err := f.session(cmd.Context())
			if err != nil {
				return err
			}
			defer logout()
			id, err := resolveVault(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			var v messages.VaultMeta
			if _, err := c.do(cmd.Context(), http.MethodPut, "/vaults/"+url.PathEscape(id)+"/s3-alias", api.AliasRequest{Alias: args[1]}, &v); err != nil {
				return err
			}
			if v.Alias == "" {
				fmt.Fprintf(cmd.OutOrStdout(), "vault %s (%s) has no S3 alias\n", v.Name, v.ID)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "vault %s (%s) is S3 bucket %s\n", v.Name, v.ID, v.Alias)
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}

// resolveVault returns the id of the vault whose id, else whose name, is ref.
func resolveVault(ctx context.Context, c *apiClient, ref string) (string, error) {
	var list api.VaultListReply
	if _, err := c.do(ctx, http.MethodGet, "/vaults", nil, &list); err != nil {
		return "", err
	}
	for _, v := range list.Vaults {
		if v.ID == ref {
			return v.ID, nil
		}
	}
	for _, v := range list.Vaults {
		if v.Name == ref {
			return v.ID, nil
		}
	}
	return "", fmt.Errorf("no vault has the id or name %q", ref)
}

// call opens a session, sends one request and closes the session.
func (f *apiFlags) call(ctx context.Context, method, path string, in, out any) error {
	_, err := f.callRaw(ctx, method, path, in, out)
	return err
}

// callRaw is call that also returns the raw answer.
func (f *apiFlags) callRaw(ctx context.Context, method, path string, in, out any) ([]byte, error) {
	c, _, logout, err := f.session(ctx)
	if err != nil {
		return nil, err
	}
	defer logout()
	return c.do(ctx, method, path, in, out)
}

// writeRaw writes raw unless err is set, which it returns.
func writeRaw(w io.Writer, raw []byte, err error) error {
	if err != nil {
		return err
	}
	_, err = w.Write(raw)
	return err
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
