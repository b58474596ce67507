package v1alpha1

import _ "embed"

// schemaJSON is generated from this package's types and comments by
// internal/schemagen; a test keeps it current.
//
//go:embed meshtls.schema.json
var schemaJSON []byte

// JSONSchema returns the JSON Schema (draft 2020-12) of a MeshTLS spec file.
func JSONSchema() []byte { return schemaJSON }
