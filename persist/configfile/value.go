package configfile

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"

	"github.com/goccy/go-yaml"
)

// entry is one key of an ordered mapping value.
type entry struct {
	key string
	val any
}

// normalize turns a Go value into the few shapes render writes: nil, string, bool, int64,
// uint64, float64, []any and []entry (an ordered mapping). Maps are written in key order;
// yaml.MapSlice keeps its order. Types with their own YAML or text marshaler (structs, and
// secrets that redact themselves) go through goccy's encoder, so they are written exactly as
// yaml.Marshal would write them.
func normalize(v any) (any, error) { return norm(v, false) }

// norm is normalize; encoded is true inside what the encoder gave back, which must not loop.
func norm(v any, encoded bool) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int64, uint64, float64:
		return x, nil
	case yaml.MapSlice:
		out := make([]entry, 0, len(x))
		for _, it := range x {
			k, ok := it.Key.(string)
			if !ok {
				return nil, fmt.Errorf("mapping key %v is %T, want string", it.Key, it.Key)
			}
			nv, err := norm(it.Value, encoded)
			if err != nil {
				return nil, err
			}
			out = append(out, entry{k, nv})
		}
		return out, nil
	case yaml.BytesMarshaler, yaml.InterfaceMarshaler, encoding.TextMarshaler:
		return viaEncoder(v, encoded)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return norm(rv.Elem().Interface(), encoded)
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint(), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return []any{}, nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			e, err := norm(rv.Index(i).Interface(), encoded)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map keys are %s, want string", rv.Type().Key())
		}
		out := make([]entry, 0, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			e, err := norm(it.Value().Interface(), encoded)
			if err != nil {
				return nil, err
			}
			out = append(out, entry{it.Key().String(), e})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
		return out, nil
	}
	return viaEncoder(v, encoded)
}

// viaEncoder normalizes what goccy's encoder writes for v, keeping its key order.
func viaEncoder(v any, encoded bool) (any, error) {
	if encoded {
		return nil, fmt.Errorf("cannot write a %T value", v)
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	var out any
	if err := yaml.UnmarshalWithOptions(b, &out, yaml.UseOrderedMap()); err != nil {
		return nil, fmt.Errorf("re-read encoded %T: %w", v, err)
	}
	return norm(out, true)
}
