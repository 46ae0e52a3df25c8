package server_test

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/conformance.md from the rules table")

const (
	docPath    = "../docs/conformance.md"
	beginRules = "<!-- BEGIN RULES: made by `go test ./server -run TestConformanceDoc -update`; do not edit -->\n"
	endRules   = "<!-- END RULES -->\n"
)

// renderRules lists each rule under its specification section, with the
// test that covers it.
func renderRules() string {
	var b strings.Builder
	section := ""
	for _, r := range rules {
		if r.section != section {
			section = r.section
			b.WriteString("\n### " + section + "\n\n")
		}
		b.WriteString("- " + r.rule + ".  \n  `TestConformance/" + testName(r) + "`\n")
	}
	return b.String()
}

// TestConformanceDoc keeps docs/conformance.md in step with the table.
func TestConformanceDoc(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, beginRules), strings.Index(s, endRules)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the rule markers", docPath)
	}
	want := s[:i+len(beginRules)] + renderRules() + s[j:]
	if want == s {
		return
	}
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is out of date with the rules table: run go test ./server -run TestConformanceDoc -update", docPath)
}
