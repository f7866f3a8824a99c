package messages

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// SettingsKind and SettingsID name the node's runtime settings actor: entity settings/self.
const (
	SettingsKind = "settings"
	SettingsID   = "self"
)

// SettingKind is the JSON type of a setting's value.
type SettingKind string

// The kinds of settings.
const (
	SettingString SettingKind = "string"
	SettingBool   SettingKind = "boolean"
	SettingInt    SettingKind = "integer"
	SettingEnum   SettingKind = "enum" // a string, one of Choices
)

// SettingSpec describes one runtime setting the UI may edit; settingSpecs below lists them.
type SettingSpec struct {
	Key     string
	Kind    SettingKind
	Secret  bool     // write-only: stored sealed, shown as {"set": true|false}, never echoed
	Default any      // the value while unset (string, bool or int64); nil for secrets
	Choices []string // SettingEnum
	Min     int64    // SettingInt
	Max     int64    // SettingInt
	Doc     string
	// check is a SettingString's rule: the reason a value is refused, or "".
	check func(string) string
}

// SettingSpecs returns every known setting, sorted by key.
func SettingSpecs() []SettingSpec { return slices.Clone(settingSpecs) }

// LookupSetting returns the spec of key.
func LookupSetting(key string) (SettingSpec, bool) {
	i, ok := slices.BinarySearchFunc(settingSpecs, key, func(s SettingSpec, k string) int { return strings.Compare(s.Key, k) })
	if !ok {
		return SettingSpec{}, false
	}
	return settingSpecs[i], true
}

// SettingKeys lists the known keys, sorted, for error messages.
func SettingKeys() string {
	keys := make([]string, len(settingSpecs))
	for i, s := range settingSpecs {
		keys[i] = s.Key
	}
	return strings.Join(keys, ", ")
}

// SecretPurpose is the keyring purpose a secret setting's value is sealed for, so a sealed value
// cannot be moved to another key.
func SecretPurpose(key string) string { return "settings/" + key }

// Parse checks raw, the JSON value given for the setting, and returns its canonical JSON. Its
// errors are InvalidErrors naming the key. null is not a value: callers treat it as a reset.
func (s SettingSpec) Parse(raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, Invalid(s.Key, "is not a JSON value")
	}
	switch s.Kind {
	case SettingBool:
		if _, ok := v.(bool); !ok {
			return nil, Invalid(s.Key, "want true or false")
		}
	case SettingInt:
		n, ok := v.(json.Number)
		i, err := n.Int64()
		if !ok || err != nil {
			return nil, Invalid(s.Key, "want a whole number from %d to %d", s.Min, s.Max)
		}
		if i < s.Min || i > s.Max {
			return nil, Invalid(s.Key, "%d is out of range: want %d to %d", i, s.Min, s.Max)
		}
		v = i
	case SettingEnum:
		str, ok := v.(string)
		if !ok || !slices.Contains(s.Choices, str) {
			return nil, Invalid(s.Key, "want one of %s", strings.Join(s.Choices, ", "))
		}
	case SettingString:
		str, ok := v.(string)
		if !ok {
			return nil, Invalid(s.Key, "want a string")
		}
		if s.check == nil {
			break
		}
		if why := s.check(str); why != "" {
			return nil, Invalid(s.Key, "%s", why)
		}
	}
	return json.Marshal(v)
}

// DefaultJSON is the JSON of the default value; null for a setting without one.
func (s SettingSpec) DefaultJSON() json.RawMessage {
	b, _ := json.Marshal(s.Default) // strings, bools and ints always marshal
	return b
}

// GetSettings asks for every setting.
type GetSettings struct{}

// SettingEntry is one setting's state.
type SettingEntry struct {
	Key    string
	Secret bool
	// Set tells whether a value is stored; while it is not, the default applies.
	Set bool
	// Value is a plain setting's effective value as JSON: the stored one, else the default.
	Value json.RawMessage
	// Sealed is a secret's stored value, sealed for SecretPurpose(Key).
	Sealed    []byte
	UpdatedMs int64
}

// SettingsList answers GetSettings and UpdateSettings: every known setting, sorted by key.
type SettingsList struct{ Settings []SettingEntry }

// SettingChange is one setting of an UpdateSettings: exactly one of Value (a plain setting's
// JSON, as Parse returns it), Sealed (a secret, sealed for SecretPurpose(Key)) or Reset (back
// to the default; a secret is removed).
type SettingChange struct {
	Key    string
	Value  json.RawMessage
	Sealed []byte
	Reset  bool
}

// UpdateSettings applies every change or none: an unknown key or a bad value refuses them all.
type UpdateSettings struct{ Changes []SettingChange }

// SettingsChanged is the data of the settings_changed event: the keys whose value changed,
// sorted, never the values. Enrichment workers restart on it so new API keys take effect.
type SettingsChanged struct {
	Keys []string `json:"keys"`
}

// settingSpecs is the registry of runtime settings, sorted by key; docs/profile.md lists it.
var settingSpecs = []SettingSpec{
	{Key: "acoustid_api_key", Kind: SettingString, Secret: true,
		Doc:   "AcoustID application API key, for audio fingerprint lookups",
		check: matching(acoustIDKey, "want an AcoustID application key: 4 to 64 letters and digits")},
	{Key: "default_replication_factor", Kind: SettingInt, Default: int64(2), Min: 1, Max: 16,
		Doc: "replication factor of vaults created without one"},
	{Key: "enrichment_enabled", Kind: SettingBool, Default: false,
		Doc: "look up metadata (AcoustID, MusicBrainz, TMDB) for media files; sends fingerprints and titles to those services"},
	{Key: "musicbrainz_user_agent", Kind: SettingString, Default: "",
		Doc:   `User-Agent for MusicBrainz requests, "App/version ( contact )"; empty: MeshHold's own`,
		check: matching(userAgent, `want "AppName/version ( contact )", e.g. "MyMesh/1.0 ( me@example.com )", at most 200 characters`)},
	{Key: "tmdb_api_key", Kind: SettingString, Secret: true,
		Doc:   "TMDB API key (v3, 32 hex digits) or read access token (v4), for film and series metadata",
		check: matching(tmdbKey, "want a TMDB v3 API key (32 hex digits) or a v4 read access token")},
	{Key: "ui_theme", Kind: SettingEnum, Default: "system", Choices: []string{"light", "dark", "system"},
		Doc: "the Web UI's colour theme"},
}

var (
	acoustIDKey = regexp.MustCompile(`^[A-Za-z0-9]{4,64}$`)
	tmdbKey     = regexp.MustCompile(`^(?:[0-9a-fA-F]{32}|[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})$`)
	userAgent   = regexp.MustCompile(`^(?:|[!-.0-~]{1,64}/[!-~]{1,32}(?: [ -~]{1,100})?)$`)
)

// matching is a string rule: values must match re; why says what is wanted. Values longer than
// 2048 bytes are refused before the regexp runs.
func matching(re *regexp.Regexp, why string) func(string) string {
	return func(s string) string {
		if len(s) > 2048 || !re.MatchString(s) {
			return why
		}
		return ""
	}
}
