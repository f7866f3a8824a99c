package configfile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/token"
)

// kind is how a rendered value sits after "key:" or "-".
type kind int

const (
	inline  kind = iota // text on the same line: a scalar, [] or {}
	literal             // text is the block header ("|" or "|-"), lines hold the content
	block               // lines hold a block mapping or sequence; text is empty
)

// rendered is a normalized value written as YAML. lines carry their full indentation.
type rendered struct {
	kind  kind
	text  string
	lines []string
}

// render writes v (already normalized) with its block content at indent.
func render(v any, indent int) (rendered, error) {
	pad := strings.Repeat(" ", indent)
	switch x := v.(type) {
	case nil:
		return rendered{kind: inline, text: "null"}, nil
	case bool:
		return rendered{kind: inline, text: strconv.FormatBool(x)}, nil
	case int64:
		return rendered{kind: inline, text: strconv.FormatInt(x, 10)}, nil
	case uint64:
		return rendered{kind: inline, text: strconv.FormatUint(x, 10)}, nil
	case float64:
		return rendered{kind: inline, text: formatFloat(x)}, nil
	case string:
		if header, ok := literalHeader(x); ok {
			r := rendered{kind: literal, text: header}
			for _, l := range strings.Split(strings.TrimSuffix(x, "\n"), "\n") {
				if l != "" {
					l = pad + l
				}
				r.lines = append(r.lines, l)
			}
			return r, nil
		}
		s, err := quote(x)
		return rendered{kind: inline, text: s}, err
	case []any:
		if len(x) == 0 {
			return rendered{kind: inline, text: "[]"}, nil
		}
		r := rendered{kind: block}
		for _, item := range x {
			lines, err := itemLines(item, indent)
			if err != nil {
				return rendered{}, err
			}
			r.lines = append(r.lines, lines...)
		}
		return r, nil
	case []entry:
		if len(x) == 0 {
			return rendered{kind: inline, text: "{}"}, nil
		}
		r := rendered{kind: block}
		for _, e := range x {
			lines, err := entryLines(e.key, e.val, indent)
			if err != nil {
				return rendered{}, err
			}
			r.lines = append(r.lines, lines...)
		}
		return r, nil
	}
	return rendered{}, fmt.Errorf("cannot write a %T value", v)
}

// entryLines writes "key: value" at indent, nested content two spaces deeper.
func entryLines(key string, v any, indent int) ([]string, error) {
	k, err := quote(key)
	if err != nil {
		return nil, err
	}
	r, err := render(v, indent+2)
	if err != nil {
		return nil, err
	}
	head := strings.Repeat(" ", indent) + k + ":"
	if r.kind != block {
		head += " " + r.text
	}
	return append([]string{head}, r.lines...), nil
}

// itemLines writes "- value" at indent, a nested collection starting on the dash's line.
func itemLines(v any, indent int) ([]string, error) {
	r, err := render(v, indent+2)
	if err != nil {
		return nil, err
	}
	dash := strings.Repeat(" ", indent) + "- "
	if r.kind != block {
		return append([]string{dash + r.text}, r.lines...), nil
	}
	r.lines[0] = dash + r.lines[0][indent+2:]
	return r.lines, nil
}

// literalHeader reports whether s is best written as a literal block, and with which header:
// several lines of printable text, the first not starting with a space (so the content's
// indentation is found without an indicator), and at most one trailing newline (so blank
// lines after it in the file never become part of the value).
func literalHeader(s string) (string, bool) {
	body := strings.TrimSuffix(s, "\n")
	if !strings.Contains(s, "\n") || body == "" || strings.HasSuffix(body, "\n") {
		return "", false
	}
	if !utf8.ValidString(s) || body[0] == ' ' || body[0] == '\t' {
		return "", false
	}
	for _, r := range body {
		if r != '\n' && r != '\t' && !unicode.IsPrint(r) {
			return "", false
		}
	}
	if body == s {
		return "|-", true
	}
	return "|", true
}

// quote writes a single-line scalar string, plain when that reads back as the same string.
func quote(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("string is not valid UTF-8")
	}
	if plainSafe(s) {
		return s, nil
	}
	return doubleQuote(s)
}

// quoteLike writes s in the quoting style of the scalar it replaces, where s allows it.
func quoteLike(s string, style token.Type) (string, error) {
	switch {
	case !utf8.ValidString(s):
		return "", fmt.Errorf("string is not valid UTF-8")
	case style == token.DoubleQuoteType:
		return doubleQuote(s)
	case style == token.SingleQuoteType && printable(s):
		return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
	}
	return quote(s)
}

// printable reports whether s is only printable characters (no line breaks or tabs).
func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) || r == '\ufeff' {
			return false
		}
	}
	return true
}

// doubleQuote writes s as a double-quoted scalar. Only YAML's named escapes are used: goccy
// misreports the source text of \x, \u and \U escapes, which would make the file uneditable,
// so control characters without a name are refused.
func doubleQuote(s string) (string, error) {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if esc, ok := namedEscapes[r]; ok {
			b.WriteString(esc)
			continue
		}
		if !yamlPrintable(r) {
			return "", fmt.Errorf("cannot write control character %U", r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String(), nil
}

var namedEscapes = map[rune]string{
	'"': `\"`, '\\': `\\`, '\n': `\n`, '\t': `\t`, '\r': `\r`, 0: `\0`, '\a': `\a`, '\b': `\b`,
	'\v': `\v`, '\f': `\f`, 0x1b: `\e`, 0x85: `\N`, 0x2028: `\L`, 0x2029: `\P`,
}

// yamlPrintable is YAML's c-printable set, less the characters with named escapes.
func yamlPrintable(r rune) bool {
	return r >= 0x20 && r <= 0x7e || r >= 0xa0 && r <= 0xd7ff && r != 0x2028 && r != 0x2029 ||
		r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff
}

// yaml11Words are plain scalars that YAML 1.1 tools read as booleans or null.
var yaml11Words = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true, "~": true}

// plainSafe is conservative: no indicator first, nothing that flow context or comments would
// split, and goccy must read it back as this very string (not a number, bool, null or date).
func plainSafe(s string) bool {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>'\"%@`") ||
		strings.ContainsAny(s, ",[]{}") || strings.Contains(s, ": ") || strings.Contains(s, " #") ||
		strings.HasSuffix(s, ":") {
		return false
	}
	if !printable(s) {
		return false
	}
	if yaml11Words[strings.ToLower(s)] {
		return false // a string to goccy, but a bool or null to YAML 1.1 readers
	}
	var back map[string]any
	if err := yaml.Unmarshal([]byte("v: "+s+"\n"), &back); err != nil {
		return false
	}
	got, ok := back["v"].(string)
	return ok && got == s
}

// formatFloat writes f so that it reads back as a float.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.IsNaN(f):
		return ".nan"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	mant, exp, hasExp := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0" // goccy reads 1e+21 as a string, 1.0e+21 as a float
	}
	if hasExp {
		return mant + "e" + exp
	}
	return mant
}
