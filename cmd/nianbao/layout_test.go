package main

import (
	"encoding/json"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDependencyRules enforces the package boundaries of STYLE.md §2 (what
// depguard would check): parser and crawler import no project package,
// parser/agency, parser/panel and store import only parser (store may also
// import parser/agency, the register's pure decision), and colly, chromedp,
// goquery, bbolt and parquet-go stay in their home packages. Test files are
// not checked (the DOM reference reader in
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
		"github.com/chromedp/chromedp":   "nianbao/crawler",
		"github.com/chromedp/cdproto":    "nianbao/crawler",
		"github.com/PuerkitoBio/goquery": "nianbao/parser",
		"go.etcd.io/bbolt":               "nianbao/store",
		// The Parquet writer's types stay in the export package.
		"github.com/parquet-go/parquet-go": "nianbao/cmd/nianbao/export",
	}
	allowed := map[string][]string{
		"nianbao/parser":        {},
		"nianbao/parser/agency": {"nianbao/parser"},
		// The research layer: pure analysis over parsed reports.
		"nianbao/parser/panel": {"nianbao/parser"},
		"nianbao/crawler":      {},
		// The store keeps the agency register and asks parser/agency (pure)
		// to decide (issue 12).
		"nianbao/store": {"nianbao/parser", "nianbao/parser/agency"},
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

// hostRoots are the top-level directories under which a test could name a
// file of one machine's layout (a checkout, a home, a scratch or data
// directory). System locations (/usr/bin/chromium, /proc/self/status,
// /dev/null) are not in it: they are the same on every machine.
var hostRoots = []string{"work", "home", "root", "tmp", "mnt", "media", "Users", "opt", "var", "data", "srv", "shared", "workspace"}

// pathLiteralAllowed are absolute-looking literals that tests use as data,
// never as a file to open, each with the reason.
var pathLiteralAllowed = map[string]string{
	// export_test.go: the source URL recorded for a capture imported from a
	// local file (as `nianbao parse` records a path); it is never opened.
	"/srv/import/": "recorded capture URL",
}

// TestFixturePaths keeps every test and benchmark reading its inputs from
// the repository (testdata/) or from ../shared relative to the repository
// root: a string literal in a _test.go file that names an absolute path in
// a machine's own layout (/work/…, /home/…, /tmp/…) fails, because on a
// machine laid out differently such a test would read nothing and could
// turn itself off (issue 15).
func TestFixturePaths(t *testing.T) {
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		checked++
		fset := token.NewFileSet()
		f, err := goparser.ParseFile(fset, path, nil, goparser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if bad := hostPath(s); bad != "" {
				t.Errorf("%s: %q names %s, a path outside the repository; read fixtures from testdata/ or ../shared relative to the repository root", fset.Position(lit.Pos()), s, bad)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked %d test files under %s; the walk went wrong", checked, root)
	}
}

// hostPath returns the host directory an absolute path literal starts
// with ("/work"), or "" when s is not such a path.
func hostPath(s string) string {
	if _, ok := pathLiteralAllowed[s]; ok {
		return ""
	}
	for _, prefix := range []string{"", "file://"} {
		rest, ok := strings.CutPrefix(s, prefix+"/")
		if !ok {
			continue
		}
		first, _, _ := strings.Cut(rest, "/")
		if slices.Contains(hostRoots, first) {
			return "/" + first
		}
	}
	return ""
}

func TestHostPath(t *testing.T) {
	// The paths are built at run time so that TestFixturePaths does not
	// find them as literals here: abs("work/…") is "/work/…".
	abs := func(p string) string { return "/" + p }
	for _, tc := range []struct{ s, want string }{
		{abs("work/shared/fixtures/html/*.html"), abs("work")},
		{abs("tmp/nianbao-bench.yaml"), abs("tmp")},
		{"file://" + abs("home/x/report.pdf"), abs("home")},
		{abs("srv/other"), abs("srv")},
		{"/usr/bin/chromium", ""},
		{"/proc/self/status", ""},
		{"/nb/content/post_1.html", ""},
		{"../../shared/fixtures/html", ""},
		{"testdata/x.html", ""},
		{"/srv/import/", ""},
	} {
		if got := hostPath(tc.s); got != tc.want {
			t.Errorf("hostPath(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// skipOrFailInCI skips a test whose external tool (chromium, pandas) is
// not installed on a developer's machine, and fails it in CI (CI set, as
// .ci/run runs), where .ci/run installs the tool: an install step that
// went wrong must not turn the test off silently.
func skipOrFailInCI(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI=%s: .ci/run installs it, so a missing tool is a failure here)", msg, os.Getenv("CI"))
	}
	t.Skip(msg)
}
