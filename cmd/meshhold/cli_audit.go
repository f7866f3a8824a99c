package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshhold/meshhold/actors/audit"
	"github.com/meshhold/meshhold/http/api"
	"github.com/meshhold/meshhold/persist/boltdb"
)

// auditCommand is `meshhold audit`: list the audit records and verify their hash chain.
func auditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List the audit records and verify their hash chain (docs/audit.md)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(auditVerifyCommand(), auditListCommand())
	return cmd
}

// auditBrokenError is a chain that does not verify: exit 1 with where it breaks.
type auditBrokenError struct {
	at     uint64
	reason string
}

func (e *auditBrokenError) Error() string {
	return fmt.Sprintf("the audit chain is BROKEN at record %d: %s", e.at, e.reason)
}

// auditVerifyCommand is `meshhold audit verify`: through the running daemon, or straight from
// the store when the daemon is stopped.
func auditVerifyCommand() *cobra.Command {
	var f apiFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit chain: every record's hash link, no gap, the chain head (exit 1 when broken)",
		Long: "Walk the audit ring oldest to newest and check that each record names its predecessor's hash,\n" +
			"that no record is missing and that the newest matches the chain head. With the daemon running it\n" +
			"asks GET /api/v1/audit/verify (credentials needed); with the daemon stopped it reads the store\n" +
			"directly. Exits 1 when the chain is broken, naming the first record concerned.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, source, err := verifyAudit(cmd.Context(), &f)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				b, _ := json.Marshal(rep)
				fmt.Fprintln(out, string(b))
			} else {
				printAuditReport(out, rep, source)
			}
			if !rep.OK {
				return &auditBrokenError{at: rep.BrokenAt, reason: rep.Reason}
			}
			return nil
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// verifyAudit asks the running daemon, else reads the store; a store locked by a daemon that
// has not written daemon.json yet means the API after all. It returns where it checked.
func verifyAudit(ctx context.Context, f *apiFlags) (audit.Report, string, error) {
	cfg, err := clientConfig(f.config)
	if err != nil {
		return audit.Report{}, "", err
	}
	// The store tells whether a daemon runs: it holds the lock. A daemon.json left by a crashed
	// daemon must not send us to an API nobody answers.
	if f.api == "" {
		rep, source, err := verifyAuditOffline(cfg)
		if !errors.Is(err, boltdb.ErrLocked) {
			return rep, source, err
		}
	}
	return verifyAuditOnline(ctx, f)
}

// verifyAuditOnline calls GET /audit/verify.
func verifyAuditOnline(ctx context.Context, f *apiFlags) (audit.Report, string, error) {
	c, _, logout, err := f.session(ctx)
	if err != nil {
		return audit.Report{}, "", err
	}
	defer logout()
	var rep audit.Report
	if _, err := c.do(ctx, http.MethodGet, "/audit/verify", nil, &rep); err != nil {
		return audit.Report{}, "", err
	}
	return rep, "the running daemon at " + c.base, nil
}

// verifyAuditOffline opens the stopped daemon's store (never creating one) and verifies it.
func verifyAuditOffline(cfg Config) (rep audit.Report, source string, err error) {
	path := filepath.Join(cfg.Node.MetadataDir, boltdb.FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return rep, "", fmt.Errorf("no store at %s: nothing to verify (start the daemon with -c %s first)", path, cfg.path)
	}
	store, err := boltdb.Open(path, boltdb.Options{LockTimeout: offlineLockTimeout})
	if err != nil {
		return rep, "", err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	rep, err = audit.Verify(store)
	return rep, "the stopped daemon's store " + path, err
}

// printAuditReport writes the human summary of rep.
func printAuditReport(w io.Writer, rep audit.Report, source string) {
	state := "OK"
	if !rep.OK {
		state = fmt.Sprintf("BROKEN at record %d: %s", rep.BrokenAt, rep.Reason)
	}
	fmt.Fprintf(w, "Audit chain %s\n", state)
	if rep.Records == 0 {
		fmt.Fprintln(w, "  Records:  none")
	} else {
		fmt.Fprintf(w, "  Records:  %d (seq %d–%d)\n", rep.Records, rep.FirstSeq, rep.LastSeq)
	}
	if rep.HeadHash != "" {
		fmt.Fprintf(w, "  Head:     %d %s\n", rep.HeadSeq, rep.HeadHash)
	}
	fmt.Fprintf(w, "  Checked:  %s\n", source)
}

// auditListCommand is `meshhold audit ls`: GET /audit, newest first.
func auditListCommand() *cobra.Command {
	var f apiFlags
	var types, cursor string
	var since time.Duration
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List audit records, newest first (exit 1 when the records read break the chain)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if since < 0 {
				return errors.New("--since: must not be negative")
			}
			c, _, logout, err := f.session(cmd.Context())
			if err != nil {
				return err
			}
			defer logout()
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			if types != "" {
				q.Set("types", strings.ReplaceAll(types, " ", ""))
			}
			if since > 0 {
				q.Set("since", strconv.FormatInt(time.Now().Add(-since).UnixMilli(), 10))
			}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			var page api.AuditPage
			raw, err := c.do(cmd.Context(), http.MethodGet, "/audit?"+q.Encode(), nil, &page)
			if err != nil {
				return err
			}
			if asJSON {
				_, err = cmd.OutOrStdout().Write(raw)
			} else {
				err = printAuditRecords(cmd.OutOrStdout(), page)
			}
			if err != nil {
				return err
			}
			if !page.Integrity.OK {
				return &auditBrokenError{at: page.Integrity.BrokenAt, reason: page.Integrity.Reason}
			}
			return nil
		},
	}
	f.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&types, "types", "", "only these record types, comma-separated (e.g. login_failed,token_created)")
	fl.DurationVar(&since, "since", 0, "only records of the last duration (e.g. 24h)")
	fl.IntVar(&limit, "limit", 50, "at most this many records (1–1000)")
	fl.StringVar(&cursor, "cursor", "", "continue with records older than a previous listing's next cursor")
	fl.BoolVar(&asJSON, "json", false, "print the daemon's JSON as it is")
	return cmd
}

// printAuditRecords writes the record table and, when there are more, how to get them.
func printAuditRecords(w io.Writer, p api.AuditPage) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tTYPE\tENTITY\tDETAILS")
	for _, r := range p.Records {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.Seq, time.UnixMilli(r.TsMs).Local().Format("2006-01-02 15:04:05"), r.Type, r.Entity, details(r.Data))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if p.NextCursor != "" {
		fmt.Fprintf(w, "(older records: --cursor %s)\n", p.NextCursor)
	}
	return nil
}

// details renders a record's data as sorted key=value pairs.
func details(data json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return string(data)
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := string(m[k])
		if s, err := strconv.Unquote(v); err == nil && !strings.ContainsAny(s, " \t") {
			v = s
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}
