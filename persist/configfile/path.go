package configfile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// ErrNotFound is wrapped when Delete or DeleteListItem finds nothing to remove.
var ErrNotFound = errors.New("configfile: not found")

// errFlow is returned for edits that would need a line break inside a flow collection.
var errFlow = errors.New("cannot add, remove or nest values inside a flow ({…} or […]) collection; rewrite it in block style")

// step is one element of a path inside the document: a mapping key or a sequence index.
type step struct {
	key     string
	index   int
	isIndex bool
}

func keySteps(path []string) []step {
	out := make([]step, len(path))
	for i, k := range path {
		out[i] = step{key: k}
	}
	return out
}

func (s step) String() string {
	if s.isIndex {
		return fmt.Sprintf("[%d]", s.index)
	}
	return s.key
}

func pathString(steps []step) string {
	if len(steps) == 0 {
		return "the document"
	}
	var b strings.Builder
	for i, s := range steps {
		if i > 0 && !s.isIndex {
			b.WriteByte('.')
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// unwrap skips anchors and tags to the value they decorate.
func unwrap(n ast.Node) ast.Node {
	for {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			n = x.Value
		default:
			return n
		}
	}
}

// isNull reports an absent value or an explicit null.
func isNull(n ast.Node) bool {
	_, null := n.(*ast.NullNode)
	return n == nil || null
}

// scalarText is the text of a scalar key or value (unquoted), and whether n is a scalar.
func scalarText(n ast.Node) (string, bool) {
	switch x := unwrap(n).(type) {
	case *ast.MappingKeyNode:
		return scalarText(x.Value)
	case *ast.StringNode:
		return x.Value, true
	case *ast.LiteralNode:
		return x.Value.Value, true
	case ast.ScalarNode:
		if tk := x.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// lookup finds key in mapping m.
func lookup(m *ast.MappingNode, key string) (int, *ast.MappingValueNode) {
	for i, mv := range m.Values {
		if k, ok := scalarText(mv.Key); ok && k == key {
			return i, mv
		}
	}
	return -1, nil
}

// describe names a node's kind for an error.
func describe(n ast.Node) string {
	switch unwrap(n).(type) {
	case *ast.SequenceNode:
		return "a sequence"
	case *ast.MappingNode:
		return "a mapping"
	case *ast.AliasNode:
		return "an alias"
	case nil, *ast.NullNode:
		return "empty"
	}
	return "a scalar"
}

// findEntry finds the mapping m holding the last key of steps, the key's index in m, and the
// entry whose value m is (nil for the document's top mapping).
func (d *doc) findEntry(steps []step) (holder *ast.MappingValueNode, m *ast.MappingNode, i int, err error) {
	cur := d.body
	for n, st := range steps {
		var ok bool
		if m, ok = unwrap(cur).(*ast.MappingNode); !ok {
			return nil, nil, 0, ErrNotFound
		}
		var mv *ast.MappingValueNode
		switch i, mv = lookup(m, st.key); {
		case mv == nil:
			return nil, nil, 0, ErrNotFound
		case n == len(steps)-1:
			return holder, m, i, nil
		}
		holder, cur = mv, mv.Value
	}
	return nil, nil, 0, ErrNotFound
}
