package v1alpha1

import (
	"errors"
	"testing"
)

// A mark that starts a line is a joined file's; one within a line is part
// of a value, and no business of the loader.
func TestStrayBOM(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	for name, tc := range map[string]struct {
		raw  string
		line int
	}{
		"none":                   {"a: 1\n", 0},
		"the file's own":         {bom + "a: 1\n", 0},
		"a second at the start":  {bom + bom + "a: 1\n", 1},
		"a joined file's":        {"a: 1\n" + bom + "b: 2\n", 2},
		"after a mark mid-line":  {"a: \"x" + bom + "\"\n" + bom + "b: 2\n", 2},
		"in a quoted value":      {"a: \"x" + bom + "y\"\n", 0},
		"ending a plain value":   {"a: x" + bom + "\nb: 2\n", 0},
		"at the end, no newline": {"a: 1\n" + bom, 2},
		"a file of marks":        {bom + bom + bom, 1},
	} {
		t.Run(name, func(t *testing.T) {
			if got := StrayBOM([]byte(tc.raw)); got != tc.line {
				t.Errorf("StrayBOM(%q) = %d, want %d", tc.raw, got, tc.line)
			}
		})
	}
}

// The YAML library's decoding errors come as a list, each with its line.
func TestYAMLError_unmarshalErrors(t *testing.T) {
	err := errors.New("yaml: unmarshal errors:\n  line 3: mapping key \"kind\" already defined at line 2\n  line 5: mapping key \"a\" already defined at line 4")
	line, msg := YAMLError(nil, err)
	if line != 3 || msg != `mapping key "kind" already defined at line 2` {
		t.Errorf("line %d, message %q", line, msg)
	}
}

// The reader's refusals of a byte carry no line: it is found.
func TestYAMLError_badBytes(t *testing.T) {
	for raw, want := range map[string]int{"a: 1\nb: x\x00y\n": 2, "a: 1\n\nc: \xff\n": 3} {
		line, _ := YAMLError([]byte(raw), errors.New("yaml: control characters are not allowed"))
		if line != want {
			t.Errorf("%q: line %d, want %d", raw, line, want)
		}
	}
}

// A complex key is said in YAML's terms, not Go's.
func TestYAMLError_complexKey(t *testing.T) {
	_, msg := YAMLError(nil, errors.New(`yaml: invalid map key: []interface {}{"a"}`))
	if msg != "a mapping key that is a list or a mapping: keys are names" {
		t.Errorf("message %q", msg)
	}
}
