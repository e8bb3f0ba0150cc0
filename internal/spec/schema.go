package spec

import (
	"bytes"
	_ "embed"
)

//go:embed schema/pipeline.schema.json
var pipelineSchema []byte

// JSONSchema returns a JSON Schema (draft 2020-12) for pipeline files, for
// editors and `gantry schema`. It describes the shape of a file; the
// parser's checks (task references, cycles, cron, time zones) go further.
func JSONSchema() []byte {
	return bytes.Clone(pipelineSchema)
}
