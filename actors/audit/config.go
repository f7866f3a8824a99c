package audit

import "errors"

// DefaultMaxRecords is how many audit records the ring keeps by default.
const DefaultMaxRecords = 100_000

// Config is the `audit:` section of config.yaml.
type Config struct {
	// Enabled writes an audit record for every audited event; when false nothing is recorded
	// (the records already there stay readable and verifiable).
	Enabled bool `yaml:"enabled"`
	// MaxRecords bounds the ring; the oldest records are pruned inside later commits.
	MaxRecords uint64 `yaml:"max_records"`
}

// Defaults is the audit config used for keys the file leaves out.
func Defaults() Config { return Config{Enabled: true, MaxRecords: DefaultMaxRecords} }

// Validate checks the section, naming the offending key.
func (c Config) Validate() error {
	switch {
	case c.MaxRecords < 100:
		return errors.New("audit.max_records: at least 100")
	case c.MaxRecords > 100_000_000:
		return errors.New("audit.max_records: at most 100000000")
	}
	return nil
}
