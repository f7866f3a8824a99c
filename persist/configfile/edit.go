package configfile

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// edit replaces src[start:end] with text ("\n" line breaks; commit adapts them to the file).
type edit struct {
	start, end int
	text       string
}

// change is one edit of the file: its text splices and what it does to the decoded value.
type change struct {
	edits []edit
	model func(root any) (any, error)
}

// set writes val (normalized) at steps, creating missing mappings on the way.
func (d *doc) set(steps []step, val any) (change, error) {
	c := change{model: func(root any) (any, error) {
		return update(root, steps, func(any) (any, error) { return canon(val), nil })
	}}
	var holder *ast.MappingValueNode // the entry whose value cur is; nil at the root
	var cur = d.body
	flow := false
	for i, st := range steps {
		n := unwrap(cur)
		if isNull(n) {
			var err error
			rest := nest(steps[i:], val)
			if holder == nil && i == 0 && n == nil {
				c.edits, err = d.appendRoot(rest)
			} else if holder != nil {
				c.edits, err = d.replace(holder, flow, rest)
			} else {
				err = fmt.Errorf("%s is empty and cannot be filled in place", pathString(steps[:i]))
			}
			return c, err
		}
		if st.isIndex {
			s, ok := n.(*ast.SequenceNode)
			if !ok || st.index >= len(s.Values) {
				return c, fmt.Errorf("%s has no item %d", pathString(steps[:i]), st.index)
			}
			holder, cur, flow = nil, s.Values[st.index], s.IsFlowStyle
			continue
		}
		m, ok := n.(*ast.MappingNode)
		if !ok {
			return c, fmt.Errorf("%s is %s, not a mapping", pathString(steps[:i]), describe(n))
		}
		_, mv := lookup(m, st.key)
		if mv == nil {
			var err error
			c.edits, err = d.insert(m, st.key, nest(steps[i+1:], val))
			return c, err
		}
		if i == len(steps)-1 {
			var err error
			c.edits, err = d.replace(mv, m.IsFlowStyle, val)
			return c, err
		}
		holder, cur, flow = mv, mv.Value, m.IsFlowStyle
	}
	return c, fmt.Errorf("empty path")
}

// nest wraps val in one single-key mapping per remaining key step.
func nest(steps []step, val any) any {
	for i := len(steps) - 1; i >= 0; i-- {
		val = []entry{{steps[i].key, val}}
	}
	return val
}

// replace writes val as the value of mv, keeping the key line's comments and, when the old
// value started on a later line, the comment lines between the key and it.
func (d *doc) replace(mv *ast.MappingValueNode, flow bool, val any) ([]edit, error) {
	ks, okKey := d.extent(mv.Key)
	colon, okColon := d.spans[mv.Start]
	if !okKey || !okColon {
		return nil, fmt.Errorf("cannot locate a key in the file")
	}
	keyIndent := d.column(ks.start)
	r, err := render(val, keyIndent+2)
	if err != nil {
		return nil, err
	}
	if flow && r.kind != inline {
		return nil, errFlow
	}
	old, has := d.extent(mv.Value)
	body := strings.Join(r.lines, "\n")
	switch {
	case !has: // "key:" with nothing after it, maybe a comment
		le := d.lineEnd(colon.end)
		switch r.kind {
		case inline:
			return []edit{{colon.end, colon.end, " " + r.text}}, nil
		case literal:
			return []edit{{colon.end, colon.end, " " + r.text}, {le, le, "\n" + body}}, nil
		}
		return []edit{{le, le, "\n" + body}}, nil
	case d.lineStart(old.start) == d.lineStart(colon.end): // the old value starts on the key line
		le := d.lineEnd(old.start)
		oneLine := le >= old.end
		switch {
		case r.kind == inline:
			if str, ok := val.(string); ok {
				if tk := unwrap(mv.Value).GetToken(); tk != nil && d.spans[tk] == old {
					if r.text, err = quoteLike(str, tk.Type); err != nil { // keep '…' or "…"
						return nil, err
					}
				}
			}
			return []edit{{old.start, old.end, r.text}}, nil
		case r.kind == literal && oneLine: // a comment after the old value stays on the header line
			return []edit{{old.start, old.end, r.text}, {le, le, "\n" + body}}, nil
		case r.kind == literal:
			return []edit{{old.start, old.end, r.text + "\n" + body}}, nil
		case oneLine:
			return []edit{{colon.end, old.end, ""}, {le, le, "\n" + body}}, nil
		}
		return []edit{{colon.end, old.end, "\n" + body}}, nil
	}
	// The old value starts on a later line, perhaps after comment lines.
	ls := d.lineStart(old.start)
	switch r.kind {
	case inline:
		if len(bytes.TrimSpace(d.src[colon.end:ls])) == 0 {
			return []edit{{colon.end, old.end, " " + r.text}}, nil
		}
		return []edit{{ls, old.end, strings.Repeat(" ", keyIndent+2) + r.text}}, nil
	case literal: // comment lines would become content, so they go with the old value
		le := d.lineEnd(colon.end)
		return []edit{{colon.end, colon.end, " " + r.text}, {le, old.end, "\n" + body}}, nil
	}
	if col := d.column(old.start); col != keyIndent+2 && sameShape(mv.Value, val) {
		if r, err = render(val, col); err != nil { // keep the file's indentation
			return nil, err
		}
	}
	return []edit{{ls, old.end, strings.Join(r.lines, "\n")}}, nil
}

// sameShape reports whether the old node and the new value are both sequences or both mappings.
func sameShape(n ast.Node, val any) bool {
	switch unwrap(n).(type) {
	case *ast.SequenceNode:
		_, ok := val.([]any)
		return ok
	case *ast.MappingNode:
		_, ok := val.([]entry)
		return ok
	}
	return false
}

// insert adds key: val after the last entry of block mapping m, at its keys' indentation.
func (d *doc) insert(m *ast.MappingNode, key string, val any) ([]edit, error) {
	if m.IsFlowStyle || len(m.Values) == 0 {
		return nil, errFlow
	}
	first, _ := d.extent(m.Values[0].Key)
	last, _ := d.extent(m.Values[len(m.Values)-1])
	lines, err := entryLines(key, val, d.column(first.start))
	if err != nil {
		return nil, err
	}
	sep := "\n"
	if head := d.headStart(last.start); len(m.Values) > 1 && head > 0 && d.blankLine(d.lineStart(head-1)) {
		sep = "\n\n" // the mapping's entries are set apart by blank lines: so is the new one
	}
	p := d.lineEnd(last.end)
	return []edit{{p, p, sep + strings.Join(lines, "\n")}}, nil
}

// appendRoot adds the entries of val at the end of a document that holds no value yet.
func (d *doc) appendRoot(val any) ([]edit, error) {
	r, err := render(val, 0)
	if err != nil {
		return nil, err
	}
	if r.kind != block {
		return nil, fmt.Errorf("the document must be a mapping")
	}
	text := strings.Join(r.lines, "\n") + "\n"
	if n := len(d.src); n > 0 && d.src[n-1] != '\n' {
		text = "\n" + text
	}
	return []edit{{len(d.src), len(d.src), text}}, nil
}

// removeEntry deletes entry i of block mapping m with its lines and head comment; an emptied
// nested mapping is written {} (bare, it would read back as null).
func (d *doc) removeEntry(holder *ast.MappingValueNode, m *ast.MappingNode, i int) ([]edit, error) {
	if m.IsFlowStyle {
		return nil, errFlow
	}
	ext, ok := d.extent(m.Values[i])
	if !ok || !d.firstOnLine(ext.start) {
		return nil, fmt.Errorf("cannot delete a key that does not start its line")
	}
	edits := []edit{d.cutLines(ext.start, ext.end)}
	if len(m.Values) == 1 && holder != nil {
		return d.markEmpty(holder, "{}", edits)
	}
	return edits, nil
}

// markEmpty adds " {}" or " []" after the colon of holder, whose whole value edits remove.
func (d *doc) markEmpty(holder *ast.MappingValueNode, empty string, edits []edit) ([]edit, error) {
	colon, ok := d.spans[holder.Start]
	if !ok {
		return nil, fmt.Errorf("cannot locate a key in the file")
	}
	return append(edits, edit{colon.end, colon.end, " " + empty}), nil
}

// cutLines removes the lines from start's to end's (through its line break), the comment
// lines right above at start's indentation, and one blank line if two would be left touching.
func (d *doc) cutLines(start, end int) edit {
	from := d.headStart(start)
	to := d.afterNewline(end)
	prevBlank := from == 0 || d.blankLine(d.lineStart(from-1))
	switch {
	case prevBlank && to < len(d.src) && d.blankLine(to):
		to = d.afterNewline(to)
	case to == len(d.src) && from > 0 && prevBlank:
		from = d.lineStart(from - 1)
	}
	return edit{from, to, ""}
}

// headStart is the start of the comment lines directly above start's line at its indentation
// (the head comment goccy attaches to a key or item), or of start's line if there are none.
func (d *doc) headStart(start int) int {
	col := d.column(start)
	from := d.lineStart(start)
	for from > 0 {
		prev := d.lineStart(from - 1)
		line := d.src[prev:d.lineEnd(prev)]
		text := bytes.TrimLeft(line, " ")
		if len(text) == 0 || text[0] != '#' || len(line)-len(text) != col {
			break
		}
		from = prev
	}
	return from
}
