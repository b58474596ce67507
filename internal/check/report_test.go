package check

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func realisticFindings(t *testing.T) (*Input, []Finding) {
	t.Helper()
	in := &Input{}
	raw, err := os.ReadFile(filepath.Join("testdata", "realistic", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	in.AddManifests("testdata/realistic/input.yaml", raw)
	return in, Run(in, Options{})
}

// sarifSchema finds the SARIF 2.1.0 JSON schema that gosec's module ships
// (report/sarif/testdata), downloading the module into the module cache
// without adding it to go.mod.
func sarifSchema(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/securego/gosec/v2@v2.30.0").Output()
	if err != nil {
		t.Fatalf("downloading the module that carries the SARIF schema: %v", err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download: %s", out)
	}
	return filepath.Join(mod.Dir, "report", "sarif", "testdata", "sarif-schema-2.1.0.json")
}

// The SARIF output validates against the SARIF 2.1.0 schema, lists every
// rule, and carries every finding with its location.
func TestWriteSARIF_validSARIF210(t *testing.T) {
	_, fs := realisticFindings(t)
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, fs, "v0.0.0-test"); err != nil {
		t.Fatal(err)
	}
	schemaFile := sarifSchema(t)
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v", err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if log.Version != "2.1.0" || len(run.Tool.Driver.Rules) != len(Rules) || len(run.Results) != len(fs) {
		t.Fatalf("version %s, %d rules, %d results for %d findings", log.Version, len(run.Tool.Driver.Rules), len(run.Results), len(fs))
	}
	for i, r := range run.Results {
		loc := r.Locations[0].PhysicalLocation
		if r.RuleID != fs[i].Rule.ID || r.Level != string(fs[i].Level()) || loc.Region.StartLine != fs[i].Line || loc.ArtifactLocation.URI != "testdata/realistic/input.yaml" {
			t.Errorf("result %d: %+v for %+v", i, r, fs[i])
		}
	}
}

func TestWriteText_groupsByFileWithSummary(t *testing.T) {
	in, fs := realisticFindings(t)
	var buf bytes.Buffer
	if err := WriteText(&buf, fs, Summarize(in, fs)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "testdata/realistic/input.yaml\n  31: error MTLS020 ") ||
		!strings.HasSuffix(out, "\nmtlsgen check: 8 errors, 3 warnings in 11 objects (1 file)\n") {
		t.Errorf("text output:\n%s", out)
	}
	buf.Reset()
	WriteText(&buf, nil, Summary{Objects: 3, Files: 1})
	if buf.String() != "mtlsgen check: no findings in 3 objects (1 file)\n" {
		t.Errorf("clean output %q", buf.String())
	}
}

func TestWriteJSON(t *testing.T) {
	in, fs := realisticFindings(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, fs, Summarize(in, fs)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Findings []map[string]any `json:"findings"`
		Summary  Summary          `json:"summary"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Findings) != len(fs) || got.Summary.Errors != 8 || got.Findings[0]["rule"] != "MTLS020" || got.Findings[0]["line"] != 31.0 {
		t.Errorf("%+v", got)
	}
}
