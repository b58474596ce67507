package v1alpha1

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// YAMLError splits a YAML library error on the text raw into the line it
// names (1-based; 0 when it names none) and what it says, without the
// library's "yaml: line N:" prefix. An alias of no anchor gets the line of
// its first use, which the library does not give.
func YAMLError(raw []byte, err error) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	// A decoding error lists its problems one per line, each with its
	// own: the first says where.
	if rest, ok := strings.CutPrefix(msg, "unmarshal errors:\n"); ok {
		msg, _, _ = strings.Cut(strings.TrimSpace(rest), "\n")
	}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, after
			}
		}
	}
	if strings.HasPrefix(msg, "invalid map key: ") {
		// yaml.v3 prints the key with Go syntax ([]interface {}{"a"}).
		msg = "a mapping key that is a list or a mapping: keys are names"
	}
	if line == 0 && (strings.Contains(msg, "control characters are not allowed") || strings.Contains(msg, "invalid leading UTF-8 octet") ||
		strings.Contains(msg, "invalid trailing UTF-8 octet") || strings.Contains(msg, "incomplete UTF-8 octet sequence")) {
		// The reader says what, not where: find the first such byte.
		if i := badByte(raw); i >= 0 {
			line = 1 + bytes.Count(raw[:i], []byte("\n"))
		}
	}
	if _, rest, ok := strings.Cut(msg, "unknown anchor '"); ok && line == 0 {
		if alias, _, ok := strings.Cut(rest, "' referenced"); ok {
			if i := bytes.Index(raw, []byte("*"+alias)); i >= 0 {
				line = 1 + bytes.Count(raw[:i], []byte("\n"))
			}
		}
	}
	return line, msg
}

// utf8BOM is the byte-order mark, in UTF-8.
var utf8BOM = []byte("\xef\xbb\xbf")

// StrayBOM returns the line of a byte-order mark that starts a line past
// raw's first bytes, or 0: files joined with their marks (cat a.yaml
// b.yaml). The YAML library takes such a mark for part of the next key, so
// every field after it would be reported as misspelt or unparseable. A mark
// within a line (in a quoted value, say) is the value's own.
func StrayBOM(raw []byte) int {
	start := 0
	if bytes.HasPrefix(raw, utf8BOM) {
		start = len(utf8BOM)
	}
	for i := start; ; i += len(utf8BOM) {
		j := bytes.Index(raw[i:], utf8BOM)
		if j < 0 {
			return 0
		}
		i += j
		if i == start || raw[i-1] == '\n' {
			return 1 + bytes.Count(raw[:i], []byte("\n"))
		}
	}
}

// StrayBOMMessage says what StrayBOM found.
const StrayBOMMessage = "a byte-order mark (U+FEFF) inside the file, as when files are joined with theirs: remove it"

// badByte is the offset of the first byte YAML's reader refuses: a control
// character other than tab, line feed and carriage return, or one of
// invalid UTF-8; -1 if none.
func badByte(raw []byte) int {
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size <= 1 || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return i
		}
		i += size
	}
	return -1
}
