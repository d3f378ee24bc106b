package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// duckDBVersion is the @duckdb/node-api release the Parquet test reads
// with; .ci/run installs the same one.
const duckDBVersion = "1.5.6-r.1"

// duckDBNode returns the node binary and a NODE_PATH under which
// @duckdb/node-api is installed: in .cache/node at the module root (ignored
// by git), installed there with npm when missing. Without node or npm the
// test is skipped, and fails in CI, where .ci/run installs both.
func duckDBNode(t *testing.T) (node, nodePath string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFailInCI(t, "node not found: install Node.js (apt-get install nodejs npm) to read the Parquet export back with DuckDB")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", ".cache", "node"))
	if err != nil {
		t.Fatal(err)
	}
	nodePath = filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(nodePath, "@duckdb", "node-api", "package.json")); err == nil {
		return node, nodePath
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		skipOrFailInCI(t, "npm not found: install it (apt-get install npm) to install @duckdb/node-api")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "@duckdb/node-api@"+duckDBVersion).CombinedOutput()
	if err != nil {
		skipOrFailInCI(t, "npm install @duckdb/node-api: "+err.Error()+"\n"+string(out))
	}
	return node, nodePath
}

// duckDBRead reads a Parquet file with DuckDB (testdata/parquet-duckdb.cjs).
type duckDBFile struct {
	Types     [][2]string `json:"types"`
	Rows      [][]any     `json:"rows"`
	RowGroups int         `json:"row_groups"`
}

func duckDBRead(t *testing.T, node, nodePath, file string) duckDBFile {
	t.Helper()
	cmd := exec.Command(node, filepath.Join("testdata", "parquet-duckdb.cjs"), file)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckdb read %s: %v\n%s", file, err, stderr.String())
	}
	var f duckDBFile
	if err := json.Unmarshal(out, &f); err != nil {
		t.Fatalf("duckdb output: %v", err)
	}
	return f
}

// unsafeField undoes parser.SafeField: the CSV's apostrophe before text
// beginning with = + - @ tab or CR. The Parquet export writes text as it
// is.
func unsafeField(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

// TestExport_ParquetDuckDB exports the test archive (real reports: a
// revised page with two versions, a local import without fetch time, a
// hostile "=…" title, blank cells) as Parquet and as CSV, reads the
// Parquet file with DuckDB, and compares every row and every column with
// the CSV: typed values (year and version integers, value a double,
// fetched_at a timestamp) equal to the CSV's text, strings equal to it
// without the formula apostrophe (issue 11).
func TestExport_ParquetDuckDB(t *testing.T) {
	node, nodePath := duckDBNode(t)
	db := fillArchive(t)
	dir := t.TempDir()
	wantTypes := map[string]string{"year": "INTEGER", "value": "DOUBLE", "fetched_at": "TIMESTAMP WITH TIME ZONE", "version": "INTEGER"}
	for _, tc := range []struct {
		name  string
		flags []string
		cols  int
	}{
		{"Latest", nil, 14},
		{"AllVersionsBlankAsZero", []string{"--all-versions", "--blank-as-zero"}, 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csvPath, pqPath := filepath.Join(dir, tc.name+".csv"), filepath.Join(dir, tc.name+".parquet")
			for _, a := range [][]string{{"--out", csvPath}, {"--format", "parquet", "--out", pqPath}} {
				if _, stderr, err := runCmd(t, append(append([]string{"export", "--db", db}, tc.flags...), a...)...); err != nil {
					t.Fatalf("export %v: %v\n%s", a, err, stderr)
				}
			}
			f, err := os.Open(csvPath)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			header, recs := recs[0], recs[1:]
			pq := duckDBRead(t, node, nodePath, pqPath)

			// The columns: the CSV's, with value_text after value.
			var names []string
			for _, ty := range pq.Types {
				names = append(names, ty[0])
				want := "VARCHAR"
				if w, ok := wantTypes[ty[0]]; ok {
					want = w
				}
				if ty[1] != want {
					t.Errorf("column %s is %s, want %s", ty[0], ty[1], want)
				}
			}
			wantNames := strings.Replace(strings.Join(header, ","), ",value,", ",value,value_text,", 1)
			if got := strings.Join(names, ","); got != wantNames || len(names) != tc.cols {
				t.Fatalf("parquet columns %s\nwant %s", got, wantNames)
			}
			if len(pq.Rows) != len(recs) || len(recs) < 1000 || pq.RowGroups != 1 {
				t.Fatalf("parquet has %d rows in %d row groups, csv %d rows", len(pq.Rows), pq.RowGroups, len(recs))
			}
			col := map[string]int{}
			for i, n := range names {
				col[n] = i
			}
			checked, nulls, texts := 0, 0, 0
			for i, rec := range recs {
				row := pq.Rows[i]
				for j, name := range header {
					want, got := rec[j], row[col[name]]
					ok := true
					switch name {
					case "year", "version":
						n, _ := strconv.Atoi(want)
						ok = got == float64(n) && n > 0
					case "value":
						vt := row[col["value_text"]]
						if want == "" {
							ok = got == nil && vt == ""
							nulls++
						} else {
							x, err := strconv.ParseFloat(want, 64)
							ok = err == nil && got == x && vt == want
						}
					case "fetched_at":
						if want == "" {
							ok = got == nil
							nulls++
						} else {
							ts, err := time.Parse(time.RFC3339, want)
							ok = err == nil && got == strconv.FormatInt(ts.UnixMicro(), 10)
						}
					default:
						if unsafeField(want) != want {
							texts++
						}
						ok = got == unsafeField(want)
					}
					if !ok {
						t.Fatalf("row %d column %s: parquet %#v, csv %q", i+1, name, got, want)
					}
					checked++
				}
			}
			// The archive has blank values (unless --blank-as-zero), a
			// local import without fetch time and a "=…" title.
			if nulls == 0 || texts == 0 {
				t.Errorf("compared %d cells: %d nulls, %d formula-guarded texts; the test archive should have both", checked, nulls, texts)
			}
			t.Logf("%d rows, %d cells equal", len(recs), checked)
		})
	}
}

func TestExport_ParquetUsage(t *testing.T) {
	db := fillArchive(t)
	for _, args := range [][]string{
		{"export", "--db", db, "--format", "parquet"},
		{"export", "--db", db, "--format", "parquet", "--out", "-"},
		{"export", "--db", db, "--format", "parquet", "--bom", "--out", filepath.Join(t.TempDir(), "x.parquet")},
	} {
		_, stderr, err := runCmd(t, args...)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "parquet") && !strings.Contains(err.Error(), "--bom") {
			t.Errorf("%v: exit %d (%v) %s, want a usage error", args[3:], exitCode(err), err, stderr)
		}
	}
}

// TestExport_ParquetRowGroups exports a generated archive of 1,400 reports
// (280,000 cells) and checks with DuckDB that the file has two row groups
// (262,144 rows each at most, so the writer's memory does not grow with
// the archive) and the CSV's rows, blanks and sum of values (integers, so
// the sums are exact in any order).
func TestExport_ParquetRowGroups(t *testing.T) {
	node, nodePath := duckDBNode(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "gen.db")
	if err := generateArchive(t.Context(), db, 1400, nil); err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(dir, "gen.parquet")
	if _, stderr, err := runCmd(t, "export", "--db", db, "--format", "parquet", "--out", pq); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	out, _, err := runCmd(t, "export", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	nulls := 0
	for _, r := range recs[1:] {
		if r[6] == "" {
			nulls++
			continue
		}
		x, err := strconv.ParseFloat(r[6], 64)
		if err != nil {
			t.Fatalf("csv value %q: %v", r[6], err)
		}
		sum += x
	}
	cmd := exec.Command(node, filepath.Join("testdata", "parquet-duckdb.cjs"), pq, "summary")
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckdb: %v", err)
	}
	var got struct {
		Rows      int     `json:"rows"`
		Nulls     int     `json:"nulls"`
		RowGroups int     `json:"row_groups"`
		Sum       float64 `json:"sum"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("duckdb output %s: %v", b, err)
	}
	if got.Rows != len(recs)-1 || got.Rows != 280000 || got.RowGroups != 2 || got.Nulls != nulls || got.Sum != sum {
		t.Errorf("parquet: %+v; csv: %d rows, %d blank, sum %v; want 280000 rows in 2 row groups", got, len(recs)-1, nulls, sum)
	}
}
