package openapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/meshhold/meshhold/messages"
)

// schemas turns Go types into JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses): named structs
// become components referenced by $ref, the rest is inlined.
type schemas struct {
	defs  map[string]any
	names map[reflect.Type]string
}

func newSchemas() *schemas {
	return &schemas{defs: map[string]any{}, names: map[reflect.Type]string{}}
}

var (
	durationType = reflect.TypeFor[messages.Duration]()
	secretType   = reflect.TypeFor[messages.Secret]()
	timeType     = reflect.TypeFor[time.Time]()
	rawType      = reflect.TypeFor[json.RawMessage]()
	bytesType    = reflect.TypeFor[[]byte]()
	marshaler    = reflect.TypeFor[json.Marshaler]()
)

// of returns the schema of values of type t.
func (s *schemas) of(t reflect.Type) map[string]any {
	switch t {
	case durationType:
		return map[string]any{"type": "string", "description": "a Go duration such as \"90s\" or \"720h\""}
	case secretType:
		return map[string]any{"type": "string", "description": "a secret: accepted, never shown back"}
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{}
	case bytesType:
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	}
	if t.Implements(marshaler) {
		return map[string]any{} // it decides its own shape
	}
	switch t.Kind() {
	case reflect.Pointer:
		return s.of(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": s.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.of(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return s.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + s.component(t)}
	}
	return map[string]any{} // interfaces: anything
}

// component names t's schema among the components, defining it on first use.
func (s *schemas) component(t reflect.Type) string {
	if name, ok := s.names[t]; ok {
		return name
	}
	name := t.Name()
	if _, taken := s.defs[name]; taken {
		name = strings.ReplaceAll(t.PkgPath(), "/", ".") + "." + t.Name()
	}
	s.names[t] = name
	s.defs[name] = map[string]any{} // a placeholder for recursive types
	s.defs[name] = s.object(t)
	return name
}

// object is the schema of a struct: its JSON fields, embedded structs flattened; fields
// without omitempty are required.
func (s *schemas) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	s.fields(t, props, &required)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func (s *schemas) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				s.fields(ft, props, required)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = s.of(ft)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}
