package main

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// ConfigError names the key at fault and why, with its line in the file.
type ConfigError struct {
	Key    string
	Line   int
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", e.Key, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Key, e.Reason)
}

// decodeStrict decodes YAML src over dst (which holds the defaults), refusing unknown keys and
// values of the wrong type with an error that names the key path (api.auth.login_window).
func decodeStrict(src []byte, dst any) error {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark is not a key
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return fmt.Errorf("not valid YAML: %w", err)
	}
	if len(f.Docs) > 1 {
		return errors.New("not valid config: more than one YAML document")
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return nil
	}
	return decodeNode(f.Docs[0].Body, reflect.ValueOf(dst).Elem(), "")
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func line(n ast.Node) int {
	if t := n.GetToken(); t != nil && t.Position != nil {
		return t.Position.Line
	}
	return 0
}

func decodeNode(n ast.Node, v reflect.Value, path string) error {
	if _, null := n.(*ast.NullNode); null {
		return nil // "key:" with no value keeps the default
	}
	if v.CanAddr() && v.Addr().Type().Implements(textUnmarshaler) {
		s, err := scalarText(n, path)
		if err != nil {
			return err
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return &ConfigError{Key: path, Line: line(n), Reason: err.Error()}
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		return decodeStruct(n, v, path)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			return &ConfigError{Key: path, Line: line(n), Reason: "want a list"}
		}
		out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			if err := decodeNode(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(out)
		return nil
	default:
		return decodeScalar(n, v, path)
	}
}

func decodeStruct(n ast.Node, v reflect.Value, path string) error {
	var pairs []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		pairs = m.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{m}
	default:
		return &ConfigError{Key: orRoot(path), Line: line(n), Reason: "want a mapping of keys to values"}
	}
	fields := map[string]int{}
	for i := 0; i < v.NumField(); i++ {
		if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
			fields[tag] = i
		}
	}
	seen := map[string]bool{}
	for _, p := range pairs {
		key := p.Key.String()
		kpath := key
		if path != "" {
			kpath = path + "." + key
		}
		i, ok := fields[key]
		if !ok {
			return &ConfigError{Key: kpath, Line: line(p.Key), Reason: "unknown key" + suggest(key, fields)}
		}
		if seen[key] {
			return &ConfigError{Key: kpath, Line: line(p.Key), Reason: "given twice"}
		}
		seen[key] = true
		if err := decodeNode(p.Value, v.Field(i), kpath); err != nil {
			return err
		}
	}
	return nil
}

func decodeScalar(n ast.Node, v reflect.Value, path string) error {
	var raw any
	if err := yaml.NodeToValue(n, &raw); err != nil {
		return &ConfigError{Key: path, Line: line(n), Reason: err.Error()}
	}
	bad := func(want string) error {
		return &ConfigError{Key: path, Line: line(n), Reason: fmt.Sprintf("want %s, got %s", want, describe(raw))}
	}
	switch v.Kind() {
	case reflect.String:
		s, ok := raw.(string)
		if !ok {
			return bad("a string (quote it)")
		}
		v.SetString(s)
	case reflect.Bool:
		b, ok := raw.(bool)
		if !ok {
			return bad("true or false")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, ok := toInt(raw)
		if !ok || v.OverflowInt(i) {
			return bad("a whole number")
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		i, ok := toInt(raw)
		if !ok || i < 0 || v.OverflowUint(uint64(i)) {
			return bad("a whole number ≥ 0")
		}
		v.SetUint(uint64(i))
	case reflect.Float64:
		f, ok := raw.(float64)
		if i, isInt := toInt(raw); isInt {
			f, ok = float64(i), true
		}
		if !ok {
			return bad("a number")
		}
		v.SetFloat(f)
	default:
		return &ConfigError{Key: path, Line: line(n), Reason: fmt.Sprintf("unsupported config type %s", v.Type())}
	}
	return nil
}

func scalarText(n ast.Node, path string) (string, error) {
	var raw any
	if err := yaml.NodeToValue(n, &raw); err != nil {
		return "", &ConfigError{Key: path, Line: line(n), Reason: err.Error()}
	}
	switch r := raw.(type) {
	case string:
		return r, nil
	case uint64, int64, float64, bool:
		return fmt.Sprint(r), nil
	}
	return "", &ConfigError{Key: path, Line: line(n), Reason: fmt.Sprintf("want a single value, got %s", describe(raw))}
}

func toInt(raw any) (int64, bool) {
	switch r := raw.(type) {
	case int64:
		return r, true
	case uint64:
		return int64(r), r <= math.MaxInt64
	case float64:
		return int64(r), r == math.Trunc(r) && math.Abs(r) < 1<<53
	}
	return 0, false
}

func describe(raw any) string {
	switch r := raw.(type) {
	case string:
		return strconv.Quote(r)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case nil:
		return "nothing"
	}
	return fmt.Sprint(raw)
}

func orRoot(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

// suggest names a known key close to an unknown one (a typo), if any.
func suggest(key string, fields map[string]int) string {
	best, bestD := "", 3
	for f := range fields {
		if d := editDistance(key, f); d < bestD || (d == bestD && f < best) {
			best, bestD = f, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
