package schematest

import (
	"bytes"
	"encoding/json"
	"os"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var schemas sync.Map // file → func() (*jsonschema.Schema, error)

// Schema is the compiled schema in file, compiled once per test binary.
func Schema(t testing.TB, file string) *jsonschema.Schema {
	t.Helper()
	load, _ := schemas.LoadOrStore(file, sync.OnceValues(func() (*jsonschema.Schema, error) {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return nil, err
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource(file, doc); err != nil {
			return nil, err
		}
		return c.Compile(file)
	}))
	s, err := load.(func() (*jsonschema.Schema, error))()
	if err != nil {
		t.Fatalf("schema %s: %v", file, err)
	}
	return s
}

// Validate checks v, a document decoded from YAML or JSON, against the
// schema in file, through its JSON form as editors using SchemaStore do.
func Validate(t testing.TB, file string, v any) error {
	t.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("to JSON: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return Schema(t, file).Validate(inst)
}
