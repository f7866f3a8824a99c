package configfile

import (
	"fmt"
	"math"
	"reflect"

	"github.com/goccy/go-yaml"
)

// The model is the file's decoded value. Every edit states what it does to the model, and
// commit checks that the edited text decodes to exactly that: an edit that would change any
// other value, or write something that reads back differently, is refused.

// decode reads src the way a plain yaml.Unmarshal does, in canonical form.
func decode(src []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	if v == nil {
		return map[string]any{}, nil // an empty document is an empty mapping
	}
	return canon(v), nil
}

// canon makes decoded and normalized values comparable: mappings become map[string]any,
// integers int64 (uint64 beyond its range).
func canon(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = canon(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = canon(e)
		}
		return out
	case yaml.MapSlice:
		out := make(map[string]any, len(x))
		for _, it := range x {
			out[fmt.Sprint(it.Key)] = canon(it.Value)
		}
		return out
	case []entry:
		out := make(map[string]any, len(x))
		for _, e := range x {
			out[e.key] = canon(e.val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canon(e)
		}
		return out
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u := rv.Uint(); u > math.MaxInt64 {
			return u
		} else {
			return int64(u)
		}
	case reflect.Float32:
		return rv.Float()
	}
	return v
}

// update replaces the model value at steps with fn(old value); old is nil when absent, and
// missing mappings on the way are created.
func update(node any, steps []step, fn func(old any) (any, error)) (any, error) {
	if len(steps) == 0 {
		return fn(node)
	}
	st := steps[0]
	if st.isIndex {
		list, ok := node.([]any)
		if !ok || st.index >= len(list) {
			return nil, fmt.Errorf("model has no item %d", st.index)
		}
		v, err := update(list[st.index], steps[1:], fn)
		list[st.index] = v
		return list, err
	}
	m, ok := node.(map[string]any)
	if node == nil {
		m, ok = map[string]any{}, true
	}
	if !ok {
		return nil, fmt.Errorf("model has no mapping at %q", st.key)
	}
	v, err := update(m[st.key], steps[1:], fn)
	m[st.key] = v
	return m, err
}

// removeKey is an update fn's helper: the mapping without key.
func removeKey(key string) func(any) (any, error) {
	return func(old any) (any, error) {
		m, ok := old.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("model has no mapping holding %q", key)
		}
		delete(m, key)
		return m, nil
	}
}
