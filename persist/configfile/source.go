package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// errLossy means goccy's tokens do not add up to the source, so byte positions are unknown.
var errLossy = errors.New("cannot map the YAML syntax tree back to the file's bytes")

// span is a token's byte range in the source, without the whitespace around it.
type span struct{ start, end int }

// doc is one parse of the source: goccy's syntax tree plus the byte span of every token.
// goccy's positions are in runes and its offsets drift, so spans come from summing each
// token's Origin (its exact source text, whitespace included) instead.
type doc struct {
	src   []byte
	spans map[*token.Token]span
	body  ast.Node // nil when the document holds no value (empty or comments only)
}

func parseDoc(src []byte) (*doc, error) {
	tks := lexer.Tokenize(string(src))
	d := &doc{src: src, spans: make(map[*token.Token]span, len(tks))}
	off := 0
	for _, tk := range tks {
		o := tk.Origin
		if !bytes.HasPrefix(src[off:], []byte(o)) {
			return nil, fmt.Errorf("%w (at byte %d)", errLossy, off)
		}
		lead := len(o) - len(strings.TrimLeft(o, " \t\r\n"))
		trail := max(len(strings.TrimRight(o, " \t\r\n")), lead)
		d.spans[tk] = span{off + lead, off + trail}
		off += len(o)
	}
	if len(bytes.TrimSpace(src[off:])) != 0 {
		return nil, fmt.Errorf("%w (at byte %d)", errLossy, off)
	}
	f, err := parser.Parse(tks, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	if len(f.Docs) > 1 {
		return nil, fmt.Errorf("%d YAML documents in one file, want one", len(f.Docs))
	}
	if len(f.Docs) == 1 {
		switch b := f.Docs[0].Body.(type) {
		case nil, *ast.CommentGroupNode:
		case *ast.NullNode:
			if _, real := d.spans[b.Token]; real {
				d.body = b
			}
		default:
			d.body = b
		}
	}
	return d, nil
}

// tokens calls fn with every token of n's subtree that is in the source, comments excluded.
func (d *doc) tokens(n ast.Node, fn func(span)) {
	tk := func(t *token.Token) {
		if t == nil || t.Type == token.CommentType {
			return
		}
		if s, ok := d.spans[t]; ok {
			fn(s)
		}
	}
	switch n := n.(type) {
	case nil, *ast.CommentGroupNode, *ast.CommentNode:
	case *ast.MappingNode:
		tk(n.Start)
		for _, v := range n.Values {
			d.tokens(v, fn)
		}
		tk(n.End)
	case *ast.MappingValueNode:
		d.tokens(n.Key, fn)
		tk(n.Start)
		tk(n.CollectEntry)
		d.tokens(n.Value, fn)
	case *ast.MappingKeyNode:
		tk(n.Start)
		d.tokens(n.Value, fn)
	case *ast.SequenceNode:
		tk(n.Start)
		for _, e := range n.Entries {
			tk(e.Start)
		}
		for _, v := range n.Values {
			d.tokens(v, fn)
		}
		tk(n.End)
	case *ast.LiteralNode:
		tk(n.Start)
		d.tokens(n.Value, fn)
	case *ast.AnchorNode:
		tk(n.Start)
		d.tokens(n.Name, fn)
		d.tokens(n.Value, fn)
	case *ast.AliasNode:
		tk(n.Start)
		d.tokens(n.Value, fn)
	case *ast.TagNode:
		tk(n.Start)
		d.tokens(n.Value, fn)
	default:
		tk(n.GetToken())
	}
}

// extent is the byte range from n's first token to its last; ok is false when n has no
// token in the source (an absent value, which goccy represents by an invented null).
func (d *doc) extent(n ast.Node) (s span, ok bool) {
	d.tokens(n, func(t span) {
		if !ok || t.start < s.start {
			s.start = t.start
		}
		if !ok || t.end > s.end {
			s.end = t.end
		}
		ok = true
	})
	return s, ok
}

// lineStart is the offset of the first byte of p's line.
func (d *doc) lineStart(p int) int {
	return bytes.LastIndexByte(d.src[:p], '\n') + 1
}

// lineEnd is the offset of p's line end (its '\n', or the '\r' of "\r\n", or EOF).
func (d *doc) lineEnd(p int) int {
	e := len(d.src)
	if i := bytes.IndexByte(d.src[p:], '\n'); i >= 0 {
		e = p + i
	}
	if e > p && d.src[e-1] == '\r' {
		e--
	}
	return e
}

// afterNewline is the offset just past the line break at or after p (EOF if none).
func (d *doc) afterNewline(p int) int {
	if i := bytes.IndexByte(d.src[p:], '\n'); i >= 0 {
		return p + i + 1
	}
	return len(d.src)
}

// column is p's byte offset in its line; indentation is ASCII spaces and "- ", so bytes suffice.
func (d *doc) column(p int) int { return p - d.lineStart(p) }

// firstOnLine reports whether only whitespace precedes p on its line.
func (d *doc) firstOnLine(p int) bool {
	return len(bytes.TrimSpace(d.src[d.lineStart(p):p])) == 0
}

// blankLine reports whether the line starting at p holds only whitespace.
func (d *doc) blankLine(p int) bool {
	return len(bytes.TrimSpace(d.src[p:d.lineEnd(p)])) == 0
}

// newline is the file's line break: "\r\n" if it uses any, else "\n".
func (d *doc) newline() string {
	if bytes.Contains(d.src, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}
