package messages

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ProfileKind and ProfileID name the node's profile actor: entity profile/self.
const (
	ProfileKind = "profile"
	ProfileID   = "self"
)

// Limits of the profile's fields.
const (
	MaxDisplayName = 64       // characters
	MaxAvatarBytes = 64 << 10 // bytes of a data: URL's decoded image
	MaxURL         = 2048     // characters of an https avatar or a push endpoint
)

// The profile's fields, as JSON and events name them.
const (
	FieldDisplayName  = "display_name"
	FieldAvatar       = "avatar"
	FieldPushEndpoint = "push_endpoint"
	FieldMetered      = "metered"
)

// GetWhoami asks who this node is.
type GetWhoami struct{}

// Whoami answers GetWhoami.
type Whoami struct {
	NodeID string `json:"node_id"`
	Name   string `json:"name"`
}

// GetProfile asks for the node's profile.
type GetProfile struct{}

// Profile is what this node says about itself: the body of GET /profile.
type Profile struct {
	NodeID       string `json:"node_id"`
	DisplayName  string `json:"display_name"`
	Avatar       string `json:"avatar"`
	PushEndpoint string `json:"push_endpoint"`
	Metered      bool   `json:"metered"`
	UpdatedMs    int64  `json:"updated_at_ms"`
}

// UpdateProfile changes the fields that are present (the body of PUT /profile); an empty
// avatar or push endpoint removes it. The profile actor answers with the new Profile.
type UpdateProfile struct {
	DisplayName  *string `json:"display_name,omitempty"`
	Avatar       *string `json:"avatar,omitempty"`
	PushEndpoint *string `json:"push_endpoint,omitempty"`
	Metered      *bool   `json:"metered,omitempty"`
}

// Check validates the fields that are present, naming the first one at fault.
func (u UpdateProfile) Check() error {
	if u.DisplayName == nil && u.Avatar == nil && u.PushEndpoint == nil && u.Metered == nil {
		return Invalid("", "name at least one of display_name, avatar, push_endpoint, metered")
	}
	if u.DisplayName != nil {
		if err := CheckName(FieldDisplayName, *u.DisplayName, MaxDisplayName, true); err != nil {
			return err
		}
	}
	if u.Avatar != nil {
		if err := CheckAvatar(*u.Avatar); err != nil {
			return err
		}
	}
	if u.PushEndpoint != nil {
		return CheckPushEndpoint(*u.PushEndpoint)
	}
	return nil
}

// ProfileChanged is the data of the profile_changed event: the fields that changed, and the
// node info the mesh's hello broadcaster re-emits. Via is "api" or "config" (a start whose
// config.yaml declares another node.name). Avatar and push endpoint are named, never copied.
type ProfileChanged struct {
	Fields      []string `json:"fields"`
	DisplayName string   `json:"display_name"`
	Metered     bool     `json:"metered"`
	Via         string   `json:"via"`
}

// CheckName checks a one-line name of at most max characters: no control characters, and not
// blank when required.
func CheckName(field, s string, max int, required bool) error {
	switch {
	case !utf8.ValidString(s):
		return Invalid(field, "is not valid UTF-8")
	case required && strings.TrimSpace(s) == "":
		return Invalid(field, "must not be empty")
	case utf8.RuneCountInString(s) > max:
		return Invalid(field, "is longer than %d characters", max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return Invalid(field, "must not contain control characters such as newlines")
	}
	return nil
}

// avatarTypes are the image types a data: URL avatar may have, with their magic bytes.
var avatarTypes = map[string]func([]byte) bool{
	"image/png":  func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) },
	"image/jpeg": func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}) },
	"image/gif":  func(b []byte) bool { return bytes.HasPrefix(b, []byte("GIF8")) },
	"image/webp": func(b []byte) bool { return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" },
}

// CheckAvatar accepts "" (no avatar), a base64 data: URL of a PNG, JPEG, GIF or WebP image of
// at most MaxAvatarBytes, or an https URL of at most MaxURL characters.
func CheckAvatar(s string) error {
	if s == "" {
		return nil
	}
	rest, ok := cutPrefixFold(s, "data:")
	if !ok {
		return checkURL(FieldAvatar, s, false)
	}
	meta, payload, ok := strings.Cut(rest, ",")
	mediaType, isBase64 := strings.CutSuffix(strings.ToLower(meta), ";base64")
	magic := avatarTypes[mediaType]
	switch {
	case !ok || !isBase64:
		return Invalid(FieldAvatar, "a data: URL must read data:<image type>;base64,<data>")
	case magic == nil:
		return Invalid(FieldAvatar, "image type %q is not one of image/png, image/jpeg, image/gif, image/webp", mediaType)
	case base64.StdEncoding.DecodedLen(len(payload)) > MaxAvatarBytes+2:
		return Invalid(FieldAvatar, "the image is larger than %d KiB", MaxAvatarBytes>>10)
	}
	img, err := base64.StdEncoding.DecodeString(payload)
	switch {
	case err != nil:
		return Invalid(FieldAvatar, "the data: URL's payload is not valid base64")
	case len(img) > MaxAvatarBytes:
		return Invalid(FieldAvatar, "the image is larger than %d KiB", MaxAvatarBytes>>10)
	case !magic(img):
		return Invalid(FieldAvatar, "the payload does not look like %s data", mediaType)
	}
	return nil
}

// CheckPushEndpoint accepts "" (none), an https URL, or an http URL to a loopback address (for
// a push gateway on this machine, and tests), of at most MaxURL characters.
func CheckPushEndpoint(s string) error {
	if s == "" {
		return nil
	}
	return checkURL(FieldPushEndpoint, s, true)
}

// checkURL requires an absolute https URL with a host and no credentials; loopbackHTTP also
// accepts http to localhost or a loopback address.
func checkURL(field, s string, loopbackHTTP bool) error {
	if len(s) > MaxURL {
		return Invalid(field, "is longer than %d characters", MaxURL)
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" {
		return Invalid(field, "must be an absolute https:// URL")
	}
	switch {
	case u.User != nil:
		return Invalid(field, "must not carry a user name or password")
	case u.Fragment != "":
		return Invalid(field, "must not have a #fragment")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopbackHTTP && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http" && loopbackHTTP:
		return Invalid(field, "must use https (plain http only to a loopback address)")
	}
	return Invalid(field, "must be an https:// URL")
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
