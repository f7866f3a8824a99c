package reports

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/meshhold/meshhold/messages"
	"github.com/meshhold/meshhold/p2p/swarmkey"
)

// The types that hold a credential. Redaction goes by these types, never by field names, so a
// secret a later feature adds is covered as soon as it is typed as one.
var (
	secretType   = reflect.TypeFor[messages.Secret]()
	swarmKeyType = reflect.TypeFor[swarmkey.Key]()
)

// isSecretType reports whether t is a credential type: messages.Secret or swarmkey.Key.
func isSecretType(t reflect.Type) bool { return t == secretType || t == swarmKeyType }

// Redact returns a deep copy of v in which every messages.Secret that is set reads
// messages.Redacted and every swarmkey.Key is the zero key, so even an encoder or a marshaler
// that reveals secrets has none to reveal. v itself is not changed. An unexported field that
// holds a secret type cannot be rewritten and fails the whole copy: redaction fails closed.
func Redact(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	out, err := redact(reflect.ValueOf(v), reflect.TypeOf(v).String(), 0)
	if err != nil {
		return nil, err
	}
	return out.Interface(), nil
}

// maxDepth bounds the walks, so a pointer cycle fails instead of recursing forever.
const maxDepth = 64

func redact(v reflect.Value, path string, depth int) (reflect.Value, error) {
	if depth > maxDepth {
		return reflect.Value{}, fmt.Errorf("reports: %s is nested too deep to redact", path)
	}
	t := v.Type()
	switch t {
	case secretType:
		out := reflect.New(t).Elem()
		if v.String() != "" {
			out.SetString(messages.Redacted)
		}
		return out, nil
	case swarmKeyType:
		return reflect.Zero(t), nil
	}
	switch t.Kind() {
	case reflect.Struct:
		out := reflect.New(t).Elem()
		out.Set(v) // unexported fields too; holds no secret type, or we fail below
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				if holdsSecret(f.Type, map[reflect.Type]bool{}) {
					return reflect.Value{}, fmt.Errorf("reports: cannot redact the unexported field %s.%s", path, f.Name)
				}
				continue
			}
			fv, err := redact(v.Field(i), path+"."+f.Name, depth+1)
			if err != nil {
				return reflect.Value{}, err
			}
			out.Field(i).Set(fv)
		}
		return out, nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return v, nil
		}
		ev, err := redact(v.Elem(), path, depth+1)
		if err != nil {
			return reflect.Value{}, err
		}
		if t.Kind() == reflect.Interface {
			out := reflect.New(t).Elem()
			out.Set(ev)
			return out, nil
		}
		out := reflect.New(t.Elem())
		out.Elem().Set(ev)
		return out, nil
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && v.IsNil() {
			return v, nil
		}
		var out reflect.Value
		if t.Kind() == reflect.Slice {
			out = reflect.MakeSlice(t, v.Len(), v.Len())
		} else {
			out = reflect.New(t).Elem()
		}
		for i := range v.Len() {
			ev, err := redact(v.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return reflect.Value{}, err
			}
			out.Index(i).Set(ev)
		}
		return out, nil
	case reflect.Map:
		if v.IsNil() {
			return v, nil
		}
		out := reflect.MakeMapWithSize(t, v.Len())
		for it := v.MapRange(); it.Next(); {
			k, err := redact(it.Key(), path+"{key}", depth+1)
			if err != nil {
				return reflect.Value{}, err
			}
			ev, err := redact(it.Value(), fmt.Sprintf("%s[%v]", path, k), depth+1)
			if err != nil {
				return reflect.Value{}, err
			}
			out.SetMapIndex(k, ev)
		}
		return out, nil
	}
	return v, nil
}

// holdsSecret reports whether a value of type t can hold a secret type.
func holdsSecret(t reflect.Type, seen map[reflect.Type]bool) bool {
	if isSecretType(t) {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			if holdsSecret(t.Field(i).Type, seen) {
				return true
			}
		}
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return holdsSecret(t.Elem(), seen)
	case reflect.Map:
		return holdsSecret(t.Key(), seen) || holdsSecret(t.Elem(), seen)
	}
	return false // interfaces included: an unexported one is never encoded
}

// minMasked is the shortest secret value MaskValues looks for: shorter ones would mask ordinary
// words (every secret the config accepts today is at least 16 characters).
const minMasked = 8

// SecretValues collects the revealed values of every secret-typed value in v (exported fields,
// through pointers, slices, maps and interfaces), for MaskValues: each Secret's value and its
// whitespace-separated parts of 16 characters or more (a swarm key's hex line), each
// swarmkey.Key's text and hex.
func SecretValues(v any) []string {
	var out []string
	collect(reflect.ValueOf(v), &out, 0)
	return out
}

func collect(v reflect.Value, out *[]string, depth int) {
	if !v.IsValid() || depth > maxDepth {
		return
	}
	switch v.Type() {
	case secretType:
		s := v.String()
		*out = append(*out, s)
		for _, part := range strings.Fields(s) {
			if len(part) >= 16 && part != s {
				*out = append(*out, part)
			}
		}
		return
	case swarmKeyType:
		k := v.Interface().(swarmkey.Key)
		*out = append(*out, strings.TrimSpace(k.Text()), hex.EncodeToString(k.Bytes()))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				collect(v.Field(i), out, depth+1)
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			collect(v.Elem(), out, depth+1)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			collect(v.Index(i), out, depth+1)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			collect(it.Key(), out, depth+1)
			collect(it.Value(), out, depth+1)
		}
	}
}

// MaskValues replaces every occurrence of each value (and of its JSON-escaped form) in the
// sections' data by messages.Redacted, in place: a backstop for a secret that was revealed
// into a log record by mistake. Values shorter than 8 bytes are left alone.
func MaskValues(sections []Section, values []string) {
	var needles [][]byte
	for _, v := range values {
		if len(v) < minMasked {
			continue
		}
		needles = append(needles, []byte(v))
		if q, err := json.Marshal(v); err == nil && string(q[1:len(q)-1]) != v {
			needles = append(needles, q[1:len(q)-1])
		}
	}
	slices.SortFunc(needles, func(a, b []byte) int { return len(b) - len(a) }) // longest first
	redacted := []byte(messages.Redacted)
	for i := range sections {
		for _, n := range needles {
			if bytes.Contains(sections[i].Data, n) {
				sections[i].Data = bytes.ReplaceAll(sections[i].Data, n, redacted)
			}
		}
	}
}
