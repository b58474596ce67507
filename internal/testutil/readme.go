package testutil

import (
	"bytes"
	"fmt"
)

// ReplaceSection returns doc with the text between the begin and end marker
// lines replaced by content: how generated sections of the README are kept
// in sync with the code (the test then compares with AssertGolden).
func ReplaceSection(doc []byte, begin, end, content string) ([]byte, error) {
	b := bytes.Index(doc, []byte(begin))
	e := bytes.Index(doc, []byte(end))
	if b < 0 || e < b {
		return nil, fmt.Errorf("markers %q and %q not found in order", begin, end)
	}
	var out bytes.Buffer
	out.Write(doc[:b+len(begin)])
	out.WriteString("\n\n" + content + "\n")
	out.Write(doc[e:])
	return out.Bytes(), nil
}
