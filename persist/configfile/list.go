package configfile

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// SetListItem upserts a mapping in the sequence at path: the item whose matchKey equals
// matchValue gets each key of item set in place (its other keys, comments and order stay);
// with no such item, item is appended, matchKey first and the other keys in order. A missing,
// null or empty ([]) sequence is created in block style.
func (f *File) SetListItem(path []string, matchKey, matchValue string, item map[string]any) (err error) {
	saved := f.src
	defer func() {
		if err != nil {
			f.src = saved // a merge is several edits: all or none
		}
	}()
	steps := keySteps(path)
	name := fmt.Sprintf("set %s item %s=%s", pathString(steps), matchKey, matchValue)
	entries, err := listItem(matchKey, matchValue, item)
	if err != nil {
		return fmt.Errorf("configfile: %s: %w", name, err)
	}
	var index int
	err = f.commit(name, func(d *doc) (change, error) {
		_, s, err := d.findSeq(steps)
		if err != nil {
			return change{}, err
		}
		if index = findItem(s, matchKey, matchValue); index >= 0 {
			return change{}, nil // merged below, one key at a time
		}
		if s == nil {
			return d.set(steps, []any{entries})
		}
		return d.appendItem(steps, s, orderLike(s, entries))
	})
	if err != nil || index < 0 {
		return err
	}
	for _, e := range entries[1:] {
		at := append(slices.Clone(steps), step{index: index, isIndex: true}, step{key: e.key})
		err := f.commit(name, func(d *doc) (change, error) {
			if model, err := decode(d.src); err != nil || sameValue(model, at, e.val) {
				return change{}, err // unchanged values keep their text
			}
			return d.set(at, e.val)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// DeleteListItem removes the mapping in the sequence at path whose matchKey equals
// matchValue, with the comment lines directly above it; removing the last item leaves [].
// No such item gives an error wrapping ErrNotFound.
func (f *File) DeleteListItem(path []string, matchKey, matchValue string) error {
	steps := keySteps(path)
	return f.commit(fmt.Sprintf("delete %s item %s=%s", pathString(steps), matchKey, matchValue),
		func(d *doc) (change, error) {
			holder, s, err := d.findSeq(steps)
			if err != nil {
				return change{}, err
			}
			i := findItem(s, matchKey, matchValue)
			if i < 0 {
				return change{}, ErrNotFound
			}
			return d.removeItem(steps, holder, s, i)
		})
}

// findSeq follows key steps to a sequence and the entry holding it (nil at the top). seq is
// nil when the path is missing, null or an empty flow sequence ("[]"), which adding an item
// rewrites as a block sequence.
func (d *doc) findSeq(steps []step) (holder *ast.MappingValueNode, seq *ast.SequenceNode, err error) {
	cur := d.body
	for i, st := range steps {
		n := unwrap(cur)
		if isNull(n) {
			return nil, nil, nil
		}
		m, ok := n.(*ast.MappingNode)
		if !ok {
			return nil, nil, fmt.Errorf("%s is %s, not a mapping", pathString(steps[:i]), describe(n))
		}
		if _, holder = lookup(m, st.key); holder == nil {
			return nil, nil, nil
		}
		cur = holder.Value
	}
	switch n := unwrap(cur).(type) {
	case nil, *ast.NullNode:
		return holder, nil, nil
	case *ast.SequenceNode:
		if len(n.Values) == 0 {
			return holder, nil, nil
		}
		if n.IsFlowStyle {
			return nil, nil, errFlow
		}
		return holder, n, nil
	default:
		return nil, nil, fmt.Errorf("%s is %s, not a sequence", pathString(steps), describe(n))
	}
}

// findItem is the index of the mapping in s whose matchKey has the scalar value matchValue.
func findItem(s *ast.SequenceNode, matchKey, matchValue string) int {
	if s == nil {
		return -1
	}
	for i, v := range s.Values {
		m, ok := unwrap(v).(*ast.MappingNode)
		if !ok {
			continue
		}
		if _, mv := lookup(m, matchKey); mv != nil {
			if text, ok := scalarText(mv.Value); ok && text == matchValue {
				return i
			}
		}
	}
	return -1
}

// appendItem adds item after the last item of the non-empty block sequence s.
func (d *doc) appendItem(steps []step, s *ast.SequenceNode, item any) (change, error) {
	c := change{model: func(root any) (any, error) {
		return update(root, steps, func(old any) (any, error) {
			list, _ := old.([]any)
			return append(list, canon(item)), nil
		})
	}}
	dash, ok := d.spans[s.Entries[0].Start]
	ext, ok2 := d.extent(s)
	if !ok || !ok2 {
		return c, fmt.Errorf("cannot locate %s in the file", pathString(steps))
	}
	lines, err := itemLines(item, d.column(dash.start))
	if err != nil {
		return c, err
	}
	p := d.lineEnd(ext.end)
	c.edits = []edit{{p, p, "\n" + strings.Join(lines, "\n")}}
	return c, nil
}

// removeItem deletes item i of block sequence s with its lines and head comment; an emptied
// sequence is written [] (bare, it would read back as null).
func (d *doc) removeItem(steps []step, holder *ast.MappingValueNode, s *ast.SequenceNode, i int) (change, error) {
	c := change{model: func(root any) (any, error) {
		return update(root, steps, func(old any) (any, error) {
			list, _ := old.([]any)
			return append(list[:i:i], list[i+1:]...), nil
		})
	}}
	dash, ok := d.spans[s.Entries[i].Start]
	ext, ok2 := d.extent(s.Values[i])
	if !ok || !ok2 || !d.firstOnLine(dash.start) {
		return c, fmt.Errorf("cannot locate item %d of %s in the file", i, pathString(steps))
	}
	c.edits = []edit{d.cutLines(dash.start, max(dash.end, ext.end))}
	if len(s.Values) > 1 {
		return c, nil
	}
	if holder == nil {
		return c, fmt.Errorf("cannot remove the document's last item")
	}
	var err error
	c.edits, err = d.markEmpty(holder, "[]", c.edits)
	return c, err
}

// listItem normalizes item for SetListItem: an ordered mapping with matchKey first.
func listItem(matchKey, matchValue string, item map[string]any) ([]entry, error) {
	n, err := normalize(item)
	if err != nil {
		return nil, err
	}
	entries, _ := n.([]entry)
	out := []entry{{matchKey, matchValue}}
	for _, e := range entries {
		if e.key != matchKey {
			out = append(out, e)
			continue
		}
		if s, ok := e.val.(string); !ok || s != matchValue {
			return nil, fmt.Errorf("item has %s %v, want %q", matchKey, e.val, matchValue)
		}
	}
	return out, nil
}

// sameValue reports whether the model already holds val at steps.
func sameValue(model any, steps []step, val any) bool {
	for _, st := range steps {
		m, isMap := model.(map[string]any)
		list, isList := model.([]any)
		switch {
		case !st.isIndex && isMap:
			model = m[st.key]
		case st.isIndex && isList && st.index < len(list):
			model = list[st.index]
		default:
			return false
		}
	}
	return reflect.DeepEqual(model, canon(val))
}

// orderLike orders a new item's keys as the sequence's existing items order theirs; keys
// they do not have follow, in their own order. entries[0] (the match key) stays first.
func orderLike(s *ast.SequenceNode, entries []entry) []entry {
	rank := map[string]int{}
	for _, v := range s.Values {
		if m, ok := unwrap(v).(*ast.MappingNode); ok {
			for _, mv := range m.Values {
				if k, ok := scalarText(mv.Key); ok {
					if _, seen := rank[k]; !seen {
						rank[k] = len(rank)
					}
				}
			}
		}
	}
	out := slices.Clone(entries)
	slices.SortStableFunc(out[1:], func(a, b entry) int {
		ra, oka := rank[a.key]
		rb, okb := rank[b.key]
		switch {
		case oka && okb:
			return ra - rb
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
	return out
}
