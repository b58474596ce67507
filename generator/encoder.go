package generator

import (
	"bytes"
	"encoding/json"
)

// maxCachedEncodings bounds a YAMLEncoder's cache. A fleet repeats each
// cluster's objects byte for byte, so a cluster's worth (a few dozen) is
// what pays; past the bound the cache starts afresh, so memory stays flat
// however large the fleet and however much its clusters differ.
const maxCachedEncodings = 256

// YAMLEncoder is EncodeYAML with a memory: an object whose JSON encoding it
// has seen gets the same YAML again without the work (decoding, cleaning,
// the YAML emitter, which are most of a render). The output is exactly
// EncodeYAML's. The bytes it returns are shared: do not modify them. The
// zero value is ready to use; it is not safe for concurrent use.
type YAMLEncoder struct {
	cache map[string][]byte
	// buf holds the JSON of the object being encoded. It is reused because
	// in a fleet most objects' JSON is only a cache key, looked up and
	// dropped; a fresh slice per object (json.Marshal) was the largest
	// allocation of a large fleet's render.
	buf  bytes.Buffer
	json *json.Encoder
}

// Encode serialises o as EncodeYAML does.
func (e *YAMLEncoder) Encode(o KubeObject) ([]byte, error) {
	if e.json == nil {
		e.json = json.NewEncoder(&e.buf)
	}
	e.buf.Reset()
	if err := e.json.Encode(o); err != nil {
		return nil, encodingError(o, err)
	}
	// json.Encoder ends each value with a newline json.Marshal does not write.
	raw := bytes.TrimSuffix(e.buf.Bytes(), []byte{'\n'})
	if b, ok := e.cache[string(raw)]; ok {
		return b, nil
	}
	b, err := yamlFromJSON(o, raw)
	if err != nil {
		return nil, err
	}
	if e.cache == nil || len(e.cache) >= maxCachedEncodings {
		e.cache = make(map[string][]byte, maxCachedEncodings)
	}
	e.cache[string(raw)] = b
	return b, nil
}
