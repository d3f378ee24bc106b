package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependencyRules enforces the package boundaries of STYLE.md §2 (what
// depguard would check): parser and crawler import no project package,
// parser/agency and store import only parser, and colly, goquery and bbolt stay in their
// home packages. Test files are not checked (the DOM reference reader in
// parser's tests uses goquery).
func TestDependencyRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", "nianbao/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	home := map[string]string{
		"github.com/gocolly/colly/v2":    "nianbao/crawler",
		"github.com/PuerkitoBio/goquery": "nianbao/parser",
		"go.etcd.io/bbolt":               "nianbao/store",
	}
	allowed := map[string][]string{
		"nianbao/parser":        {},
		"nianbao/parser/agency": {"nianbao/parser"},
		"nianbao/crawler":       {},
		"nianbao/store":         {"nianbao/parser"},
	}
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		for _, imp := range p.Imports {
			for lib, owner := range home {
				if (imp == lib || strings.HasPrefix(imp, lib+"/")) && p.ImportPath != owner {
					t.Errorf("%s imports %s, which belongs in %s", p.ImportPath, imp, owner)
				}
			}
			if ok, rule := allowed[p.ImportPath]; rule && strings.HasPrefix(imp, "nianbao/") {
				if !slices.Contains(ok, imp) {
					t.Errorf("%s imports %s (allowed project imports: %v)", p.ImportPath, imp, ok)
				}
			}
		}
	}
	if seen < 4 {
		t.Fatalf("go list found %d packages", seen)
	}
}
