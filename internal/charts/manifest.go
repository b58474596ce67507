package charts

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Document is one YAML document of a rendered chart.
type Document struct {
	// Source is the template it came from, from Helm's "# Source:"
	// comment ("" if it has none).
	Source string
	// Text is the document without its "---" separator line.
	Text string
}

var (
	sourceLine   = regexp.MustCompile(`(?m)^# Source: (.+)$`)
	documentLine = regexp.MustCompile(`(?m)^---[ \t]*$`)
)

// SplitDocuments splits a rendered chart on its "---" lines, dropping
// documents that hold nothing but comments and blank lines.
func SplitDocuments(manifest []byte) []Document {
	var out []Document
	for _, part := range documentLine.Split(string(manifest), -1) {
		text := strings.Trim(part, "\n")
		if isEmptyDocument(text) {
			continue
		}
		d := Document{Text: text + "\n"}
		if m := sourceLine.FindStringSubmatch(text); m != nil {
			d.Source = strings.TrimSpace(m[1])
		}
		out = append(out, d)
	}
	return out
}

func isEmptyDocument(text string) bool {
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// privateKeyPEM matches the armour of every PEM private key: PRIVATE KEY,
// RSA PRIVATE KEY, EC PRIVATE KEY, ENCRYPTED PRIVATE KEY, OPENSSH PRIVATE
// KEY.
var privateKeyPEM = regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)

// keyNames are Secret keys that hold a private key by convention, whatever
// their encoding.
var keyNames = []string{"tls.key", "ssh-privatekey", "key.pem", "private.key"}

// FindPrivateKeys lists every place a rendered chart holds private key
// material: a PEM private key anywhere in its text, or a Secret with a PEM
// private key in its (base64) data or a non-empty value under a key such
// as tls.key. namespace is the release namespace, for objects that name
// none.
func FindPrivateKeys(manifest []byte, namespace string) []string {
	var out []string
	for _, d := range SplitDocuments(manifest) {
		var obj struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name      string `yaml:"name"`
				Namespace string `yaml:"namespace"`
			} `yaml:"metadata"`
			Data       map[string]string `yaml:"data"`
			StringData map[string]string `yaml:"stringData"`
		}
		// A document that is not an object (or not a Secret's shape)
		// is still searched as text below.
		_ = yaml.Unmarshal([]byte(d.Text), &obj)
		ns := obj.Metadata.Namespace
		if ns == "" {
			ns = namespace
		}
		where := fmt.Sprintf("%s %s/%s (%s)", obj.Kind, ns, obj.Metadata.Name, d.Source)
		var found []string
		if obj.Kind == "Secret" {
			for k, v := range obj.Data {
				raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
				if err != nil {
					raw = []byte(v)
				}
				if privateKeyPEM.Match(raw) || (slices.Contains(keyNames, k) || strings.HasSuffix(k, ".key")) && len(bytes.TrimSpace(raw)) > 0 {
					found = append(found, "data."+k)
				}
			}
			for k, v := range obj.StringData {
				if privateKeyPEM.MatchString(v) || (slices.Contains(keyNames, k) || strings.HasSuffix(k, ".key")) && strings.TrimSpace(v) != "" {
					found = append(found, "stringData."+k)
				}
			}
		}
		if len(found) == 0 && privateKeyPEM.MatchString(d.Text) {
			found = append(found, "a PEM private key")
		}
		if len(found) > 0 {
			slices.Sort(found)
			out = append(out, fmt.Sprintf("%s holds private key material in %s", where, strings.Join(found, ", ")))
		}
	}
	return out
}
