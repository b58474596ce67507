package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"
)

// Summary counts findings.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Objects  int `json:"objects"`
	Files    int `json:"files"`
}

// Summarize counts the findings of a check over in.
func Summarize(in *Input, fs []Finding) Summary {
	s := Summary{Objects: len(in.Docs)}
	files := map[string]bool{}
	for _, d := range in.Docs {
		files[d.File] = true
	}
	for _, v := range in.Values {
		files[v.Doc.File] = true
	}
	for _, f := range fs {
		files[f.File] = true
		if f.Level() == Error {
			s.Errors++
		} else {
			s.Warnings++
		}
	}
	s.Files = len(files)
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// WriteText writes findings grouped by file, then a one-line summary.
func WriteText(w io.Writer, fs []Finding, s Summary) error {
	var b strings.Builder
	file := "\x00"
	for _, f := range fs {
		if f.File != file {
			if file != "\x00" {
				b.WriteString("\n")
			}
			file = f.File
			b.WriteString(f.File + "\n")
		}
		fmt.Fprintf(&b, "  %d: %s %s %s", f.Line, f.Level(), f.Rule.ID, f.Rule.Title)
		if f.Object != "" {
			fmt.Fprintf(&b, " (%s", f.Object)
			if f.Path != "" {
				fmt.Fprintf(&b, " %s", f.Path)
			}
			b.WriteString(")")
		}
		fmt.Fprintf(&b, "\n      %s\n", f.Message)
		if f.Fix != "" {
			fmt.Fprintf(&b, "      fix: %s\n", f.Fix)
		}
	}
	if len(fs) > 0 {
		b.WriteString("\n")
	}
	if len(fs) == 0 {
		fmt.Fprintf(&b, "mtlsgen check: no findings in %s (%s)\n", plural(s.Objects, "object"), plural(s.Files, "file"))
	} else {
		fmt.Fprintf(&b, "mtlsgen check: %s, %s in %s (%s)\n", plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Objects, "object"), plural(s.Files, "file"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonFinding struct {
	Rule     string   `json:"rule"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Object   string   `json:"object,omitempty"`
	Path     string   `json:"path,omitempty"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
}

// WriteJSON writes findings and the summary as one JSON object.
func WriteJSON(w io.Writer, fs []Finding, s Summary) error {
	out := struct {
		Findings []jsonFinding `json:"findings"`
		Summary  Summary       `json:"summary"`
	}{Findings: []jsonFinding{}, Summary: s}
	for _, f := range fs {
		out.Findings = append(out.Findings, jsonFinding{f.Rule.ID, f.Rule.Title, f.Level(), f.File, f.Line, f.Object, f.Path, f.Message, f.Fix})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// InformationURI is where the rules are documented.
const InformationURI = "https://github.com/mtlsgen/mtlsgen#checks"

// WriteSARIF writes a SARIF 2.1.0 log with one run, every rule described,
// for code-scanning UIs.
func WriteSARIF(w io.Writer, fs []Finding, version string) error {
	report, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	run := sarif.NewRunWithInformationURI("mtlsgen", InformationURI)
	run.Tool.Driver.WithVersion(version)
	for _, r := range Rules {
		level := "error"
		if r.Severity == Warning {
			level = "warning"
		}
		run.AddRule(r.ID).
			WithName(ruleName(r)).
			WithShortDescription(sarif.NewMultiformatMessageString(r.Title)).
			WithFullDescription(sarif.NewMultiformatMessageString(r.Help)).
			WithHelp(sarif.NewMultiformatMessageString(r.Help)).
			WithHelpURI(InformationURI + "-" + strings.ToLower(r.ID)).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(level))
	}
	for _, f := range fs {
		msg := f.Message
		if f.Fix != "" {
			msg += ". Fix: " + f.Fix
		}
		line := max(f.Line, 1)
		res := sarif.NewRuleResult(f.Rule.ID).
			WithLevel(string(f.Level())).
			WithMessage(sarif.NewTextMessage(msg)).
			WithLocations([]*sarif.Location{
				sarif.NewLocationWithPhysicalLocation(
					sarif.NewPhysicalLocation().
						WithArtifactLocation(sarif.NewSimpleArtifactLocation(strings.TrimPrefix(f.File, "./"))).
						WithRegion(sarif.NewSimpleRegion(line, line))),
			})
		if f.Object != "" {
			loc := res.Locations[0]
			name := f.Object
			if f.Path != "" {
				name += "." + f.Path
			}
			loc.WithLogicalLocations([]*sarif.LogicalLocation{sarif.NewLogicalLocation().WithFullyQualifiedName(name).WithKind("object")})
		}
		run.AddResult(res)
	}
	report.AddRun(run)
	return report.PrettyWrite(w)
}

// ruleName is a rule's title as an identifier: IdentityIssuerIsNotACa.
func ruleName(r *Rule) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(r.Title, func(c rune) bool { return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') }) {
		b.WriteString(strings.ToUpper(word[:1]) + word[1:])
	}
	return b.String()
}
