package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlnwa/gowarc/v3"

	"nianbao/parser"
	"nianbao/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture is one real report file stored as a capture and parsed into the
// test archive.
type fixture struct {
	file    string // in testdata/, else in demodata/ (the real pages the demo portal embeds)
	url     string // the capture's URL ("" for a local import)
	status  int
	ctype   string
	fetched time.Time
	// edit, when set, revises the file's bytes: the same page republished
	// with a corrected figure, which must become version 2 of its report.
	edit func([]byte) []byte
}

var pingtanBase = "https://www.pingtan.gov.cn/pingtan/zwgk/zfxxgk/dfbmptlj/ptzhsyqbm/ptzhsyqscj/zfxxgknb/"

// archiveFixtures are stored in this order. The 2024 平潭 page is stored
// twice: as published, then revised (行政处罚 159 → 161), so that report has
// two versions. formula-blanks-2025.txt is the 湛江 seed with a hostile title
// ("=湛江市司法局…") and the 予以公开 row printed as - / — 无 (see
// testdata/README.md).
var archiveFixtures = []fixture{
	{file: "pingtan-shichangjianguanju-2020.html", url: pingtanBase + "202101/80581.html", status: 200,
		ctype: "text/html; charset=utf-8", fetched: time.Date(2021, 2, 1, 3, 4, 5, 0, time.UTC)},
	{file: "pingtan-shichangjianguanju-2024.html", url: pingtanBase + "202501/97007.html", status: 200,
		ctype: "text/html; charset=utf-8", fetched: time.Date(2025, 1, 28, 2, 0, 0, 0, time.UTC)},
	{file: "pingtan-shichangjianguanju-2024.html", url: pingtanBase + "202501/97007.html", status: 200,
		ctype: "text/html; charset=utf-8", fetched: time.Date(2025, 3, 2, 2, 0, 0, 0, time.UTC),
		edit: func(b []byte) []byte { return bytes.Replace(b, []byte(">159<"), []byte(">161<"), 1) }},
	{file: "huaian-hongze-2023.layout.txt", fetched: time.Date(2024, 2, 20, 0, 0, 0, 0, time.UTC)},
	{file: "huaian-hongze-2024.layout.txt", fetched: time.Date(2025, 2, 20, 0, 0, 0, 0, time.UTC)},
	{file: "zhanjiang-sifaju-2025.txt", url: "https://www.zhanjiang.gov.cn/zjsfj/gkmlpt/content/2/2100/post_2100001.html",
		status: 200, ctype: "text/plain; charset=utf-8", fetched: time.Date(2026, 1, 28, 1, 0, 0, 0, time.UTC)},
	{file: "formula-blanks-2025.txt", url: "https://example.gov.cn/nb/2025.html", status: 200,
		ctype: "text/plain; charset=utf-8", fetched: time.Date(2026, 1, 29, 1, 0, 0, 0, time.UTC)},
}

// fillArchive builds a real archive in a temporary directory from the
// fixtures: each body is stored as a capture, parsed with parser.Parse and
// stored as a report version. It returns the database path.
func fillArchive(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "nianbao.db")
	db, err := store.Open(path, &store.Options{SnapshotInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	p := parser.New(parser.Options{})
	defer p.Close()
	for _, f := range archiveFixtures {
		body, err := readFixture(f.file)
		if err != nil {
			tb.Fatal(err)
		}
		if f.edit != nil {
			edited := f.edit(body)
			if bytes.Equal(edited, body) {
				tb.Fatalf("%s: edit changed nothing", f.file)
			}
			body = edited
		}
		url := f.url
		if url == "" {
			url = "/srv/import/" + f.file // a local import: no HTTP status
		}
		c := store.Capture{URL: url, Status: f.status, ContentType: f.ctype, FetchedAt: f.fetched, Site: "test"}
		if _, err := db.PutCapture(c, body); err != nil {
			tb.Fatal(err)
		}
		src := parser.Source{URL: url, ContentType: f.ctype}
		if f.status != 0 {
			src.FetchedAt = f.fetched
		}
		r, err := p.Parse(body, src)
		if err != nil {
			tb.Fatalf("parse %s: %v", f.file, err)
		}
		if len(r.Cells) == 0 {
			tb.Fatalf("parse %s: no cells (%s)", f.file, r.NoTables)
		}
		if _, err := db.PutReport(r, []string{r.SHA256}, "test-run"); err != nil {
			tb.Fatal(err)
		}
	}
	return path
}

// runCmd runs the nianbao command line and returns stdout and stderr.
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

// storedAtPlaceholders returns a replacer turning every version's StoredAt
// (the only wall-clock time in the archive) into a stable placeholder.
func storedAtPlaceholders(t *testing.T, path string) *strings.Replacer {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pairs []string
	err = db.ForEachReport(context.Background(), store.Filter{}, func(rec *store.ReportRecord) error {
		for _, v := range rec.Versions {
			ph := "STORED_AT" // versions stored within one second share the RFC 3339 form
			pairs = append(pairs, v.StoredAt.UTC().Format(time.RFC3339Nano), ph, v.StoredAt.UTC().Format(time.RFC3339), ph)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(pairs...)
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/nianbao -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s; run go test ./cmd/nianbao -update and review the diff\n%s", path, firstDiff(string(want), got))
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant %q\n got %q", i+1, w, g)
		}
	}
	return ""
}

func TestExport_Golden(t *testing.T) {
	db := fillArchive(t)
	stamp := storedAtPlaceholders(t, db)
	tests := []struct {
		golden string
		args   []string
	}{
		{"export-csv.golden.csv", nil},
		{"export-csv-all-versions.golden.csv", []string{"--all-versions"}},
		{"export-csv-bom-blank-as-zero.golden.csv", []string{"--agency", "湛江", "--bom", "--blank-as-zero"}},
		{"export-wide.golden.csv", []string{"--format", "wide"}},
		{"export-wide-all-versions.golden.csv", []string{"--format", "wide", "--all-versions", "--year", "2024"}},
		{"export-reports.golden.csv", []string{"--format", "reports"}},
		{"export-reports-year.golden.csv", []string{"--format", "reports", "--year", "2024"}},
		{"export-jsonl.golden.jsonl", []string{"--format", "jsonl", "--agency", "平潭"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			out, stderr, err := runCmd(t, append([]string{"export", "--db", db}, tt.args...)...)
			if err != nil {
				t.Fatalf("export %v: %v\n%s", tt.args, err, stderr)
			}
			golden(t, tt.golden, stamp.Replace(out))
		})
	}
}

// readCSV parses CSV text with encoding/csv, failing the test on error.
func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("read csv: %v", err)
	}
	return recs
}

func TestExport_CSV(t *testing.T) {
	db := fillArchive(t)
	out, _, err := runCmd(t, "export", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, out)
	if !slices.Equal(recs[0], parser.Header) {
		t.Fatalf("header = %v, want parser.Header %v", recs[0], parser.Header)
	}
	// One row per cell of the latest version of each report, in the
	// order of the organs' agency_ids, then years; agency_id is the last
	// column (issue 12).
	counts := map[string]int{}
	var order, ids []string
	idOf := map[string]string{}
	for _, r := range recs[1:] {
		k := r[0] + " " + r[1]
		if counts[k] == 0 {
			order = append(order, k)
			ids = append(ids, r[len(r)-1]+" "+r[1])
			idOf[k] = r[len(r)-1]
		}
		counts[k]++
	}
	if !slices.IsSorted(ids) || len(order) != 6 {
		t.Errorf("report order = %q (%q), want agency_id then year order", order, ids)
	}
	// The register made 洪泽区人民政府 (2023) and 淮安市洪泽区人民政府 (2024)
	// one organ (same site, a name that only adds a parent division); the
	// two 湛江 pages print different organs.
	if a, b := idOf["洪泽区人民政府 2023"], idOf["淮安市洪泽区人民政府 2024"]; a == "" || a != b || !strings.HasPrefix(a, "a:") {
		t.Errorf("洪泽 agency_ids %q and %q, want one organ", a, b)
	}
	if a, b := idOf["湛江市司法局 2025"], idOf["'=湛江市司法局 2025"]; a == b {
		t.Errorf("湛江市司法局 and =湛江市司法局 share agency_id %q", a)
	}
	if counts["平潭综合实验区市场监督管理局 2020"] != 198 || counts["湛江市司法局 2025"] != 200 {
		t.Errorf("rows per report = %v, want 198 for 平潭 2020 and 200 for 湛江", counts)
	}
	find := func(agency, year, table, row, col string) []string {
		for _, r := range recs[1:] {
			if r[0] == agency && r[1] == year && r[3] == table && r[4] == row && r[5] == col {
				return r
			}
		}
		t.Fatalf("no row %s %s %s.%s.%s", agency, year, table, row, col)
		return nil
	}
	// The latest version of 平潭 2024 is the revised one.
	if r := find("平潭综合实验区市场监督管理局", "2024", "t2", "penalty", "decisions"); r[6] != "161" {
		t.Errorf("平潭 2024 penalty = %q, want the revised 161", r[6])
	}
	// Blanks export empty, raw neutralised only where it could be a formula.
	for col, raw := range map[string]string{"natural_person": "'-", "commercial": "/", "research": "—", "social_org": "无"} {
		r := find("'=湛江市司法局", "2025", "t3", "granted", col)
		if r[6] != "" || r[7] != raw {
			t.Errorf("granted.%s value,raw = %q,%q; want \"\",%q", col, r[6], r[7], raw)
		}
	}
	if r := find("淮安市洪泽区人民政府", "2024", "t2", "fees", "amount_10k_yuan"); r[6] != "7545" {
		t.Errorf("洪泽 2024 fees = %q, want 7545", r[6])
	}
	if r := find("洪泽区人民政府", "2023", "t2", "fees", "amount_10k_yuan"); r[6] != "7730.28" {
		t.Errorf("洪泽 2023 fees = %q, want 7730.28", r[6])
	}
}

func TestExport_BOMAndBlankAsZero(t *testing.T) {
	db := fillArchive(t)
	out, _, err := runCmd(t, "export", "--db", db, "--agency", "=湛江", "--bom", "--blank-as-zero")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "\uFEFFagency,year,") {
		t.Fatalf("output does not start with a BOM and the header: %q", out[:20])
	}
	recs := readCSV(t, strings.TrimPrefix(out, "\uFEFF"))
	if len(recs) != 201 {
		t.Fatalf("got %d rows, want header + 200", len(recs))
	}
	for _, r := range recs[1:] {
		if r[6] == "" {
			t.Errorf("blank value left in %v with --blank-as-zero", r)
		}
		if r[4] == "granted" && r[5] == "natural_person" && (r[6] != "0" || r[7] != "'-") {
			t.Errorf("granted.natural_person = %q,%q; want 0 and raw '-", r[6], r[7])
		}
	}
	// Without the flag: no BOM.
	out, _, err = runCmd(t, "export", "--db", db, "--agency", "=湛江")
	if err != nil || !strings.HasPrefix(out, "agency,") {
		t.Fatalf("export without --bom: err %v, starts %q", err, out[:10])
	}
}

// pythonWithPandas returns a python3 that imports pandas, or skips (fails
// in CI, where .ci/run installs it).
func pythonWithPandas(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import pandas").Run() == nil {
			return path
		}
	}
	skipOrFailInCI(t, "python3 with pandas not found: install Debian's python3-pandas (apt-get install -y python3-pandas) to run this test")
	return ""
}

// TestExport_Pandas reads the tidy and wide exports with Python's csv module
// and pandas and checks the column types researchers rely on.
func TestExport_Pandas(t *testing.T) {
	py := pythonWithPandas(t)
	db := fillArchive(t)
	dir := t.TempDir()
	tidy, wide := filepath.Join(dir, "tidy.csv"), filepath.Join(dir, "wide.csv")
	if _, stderr, err := runCmd(t, "export", "--db", db, "--out", tidy, "--bom"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if _, stderr, err := runCmd(t, "export", "--db", db, "--format", "wide", "--out", wide); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	script := `
import csv, sys
import pandas as pd
tidy, wide = sys.argv[1], sys.argv[2]
with open(tidy, newline="", encoding="utf-8-sig") as f:
    rows = list(csv.reader(f))
print("csv_rows", len(rows) - 1)
print("csv_header", ",".join(rows[0]))
df = pd.read_csv(tidy, encoding="utf-8-sig", dtype={"sha256": str, "raw": str})
print("dtypes", df["year"].dtype, df["value"].dtype, df["agency"].dtype, df["raw"].dtype)
print("nan_values", int(df["value"].isna().sum()))
print("value_sum", df["value"].sum())
pen = df[(df.agency == "淮安市洪泽区人民政府") & (df.table == "t2") & (df.row == "penalty")]["value"]
print("hongze_penalty", pen.iloc[0])
fees = df[(df.agency == "洪泽区人民政府") & (df.row == "fees")]["value"]
print("hongze_fees_2023", fees.iloc[0])
raw = df[(df.row == "granted") & (df.column == "natural_person") & (df.year == 2025)]["raw"].tolist()
print("raws", "|".join(sorted(raw)))
w = pd.read_csv(wide, dtype={"sha256": str})
print("wide", len(w), w["t3.total.total"].dtype, w["t2.penalty.decisions"].dtype, int(w["t3.new_received.total"].sum()))
`
	out, err := exec.Command(py, "-c", script, tidy, wide).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		"csv_rows 1167\n",
		"csv_header " + strings.Join(parser.Header, ",") + "\n",
		"dtypes int64 float64 object object\n",
		"nan_values 18\n", // 平潭 2024: 14 merged other.* cells; formula report: 4 blanks
		"hongze_penalty 2776.0\n",
		"hongze_fees_2023 7730.28\n",
		"raws '-|0\n",
		"wide 6 int64 int64 145\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("python output lacks %q:\n%s", want, got)
		}
	}
}

// TestExport_WARC reads the WARC export back record by record with gowarc
// and checks every record against the archive.
func TestExport_WARC(t *testing.T) {
	path := fillArchive(t)
	for _, name := range []string{"all.warc", "all.warc.gz"} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), name)
			if _, stderr, err := runCmd(t, "export", "--db", path, "--format", "warc", "--out", out); err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			dump := dumpWARC(t, out, path)
			golden(t, "export-warc.golden.txt", dump)
		})
	}
	t.Run("Filtered", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "hongze.warc")
		if _, stderr, err := runCmd(t, "export", "--db", path, "--format", "warc", "--agency", "洪泽", "--out", out); err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		dump := dumpWARC(t, out, path)
		if n := strings.Count(dump, "\nresource "); n != 2 || strings.Contains(dump, "\nresponse ") {
			t.Errorf("hongze export: want exactly 2 resource records:\n%s", dump)
		}
	})
}

// dumpWARC reads a WARC file with strict validation and describes every
// record on one line. It checks each payload against the archive's body
// for that capture.
func dumpWARC(t *testing.T, file, dbPath string) string {
	t.Helper()
	db, err := store.Open(dbPath, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := gowarc.NewWarcFileReader(file, 0, gowarc.WithStrictValidation())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b strings.Builder
	ids := map[string]string{} // record ID → type
	var concurrent []string
	for rec, err := range r.Records() {
		if err != nil {
			t.Fatalf("read %s at %d: %v", file, rec.Offset, err)
		}
		if len(rec.Validation) > 0 {
			t.Errorf("record at %d: validation %v", rec.Offset, rec.Validation)
		}
		wr := rec.WarcRecord
		h := wr.WarcHeader()
		ids[h.GetId(gowarc.WarcRecordID)] = wr.Type().String()
		if vd, err := wr.ValidateDigest(); err != nil || len(vd) > 0 {
			t.Errorf("record at %d: digest: %v %v", rec.Offset, err, vd)
		}
		switch wr.Type() {
		case gowarc.Warcinfo:
			fmt.Fprintf(&b, "warcinfo %s\n", h.Get(gowarc.ContentType))
		case gowarc.Request:
			concurrent = append(concurrent, h.GetId(gowarc.WarcConcurrentTo))
			raw, _ := wr.Block().RawBytes()
			body, _ := io.ReadAll(raw)
			line, _, _ := strings.Cut(string(body), "\r\n")
			fmt.Fprintf(&b, "request %s %s %q\n", h.Get(gowarc.WarcTargetURI), h.Get(gowarc.WarcDate), line)
		case gowarc.Response, gowarc.Resource:
			var payload []byte
			if pb, ok := wr.Block().(gowarc.PayloadBlock); ok {
				pr, err := pb.PayloadBytes()
				if err != nil {
					t.Fatal(err)
				}
				payload, _ = io.ReadAll(pr)
			} else {
				raw, _ := wr.Block().RawBytes()
				payload, _ = io.ReadAll(raw)
			}
			sum := h.Get(gowarc.WarcPayloadDigest)
			if wr.Type() == gowarc.Resource {
				sum = h.Get(gowarc.WarcBlockDigest)
			}
			sha := strings.TrimPrefix(sum, "sha256:")
			stored, err := db.CaptureBody(sha)
			if err != nil {
				t.Errorf("%s: payload digest %s is no stored capture: %v", h.Get(gowarc.WarcTargetURI), sum, err)
			} else if !bytes.Equal(stored, payload) {
				t.Errorf("%s: payload differs from the stored body", h.Get(gowarc.WarcTargetURI))
			}
			status := ""
			if hb, ok := wr.Block().(gowarc.HttpResponseBlock); ok && hb.HttpHeader() != nil {
				status = fmt.Sprintf(" %d %s", hb.HttpStatusCode(), hb.HttpHeader().Get("Content-Type"))
			}
			fmt.Fprintf(&b, "%s %s %s %s%s len=%d %s\n", wr.Type(), h.Get(gowarc.WarcTargetURI), h.Get(gowarc.WarcDate),
				h.Get(gowarc.ContentType), status, len(payload), sum)
		default:
			t.Errorf("unexpected record type %s", wr.Type())
		}
		rec.Close()
	}
	for _, id := range concurrent {
		if ids[id] != "response" {
			t.Errorf("request's WARC-Concurrent-To %s is not a response record", id)
		}
	}
	return b.String()
}

func TestExport_Usage(t *testing.T) {
	db := fillArchive(t)
	for _, args := range [][]string{
		{"--format", "xml"},
		{"--format", "jsonl", "--bom"},
		{"--format", "warc", "--blank-as-zero"},
		{"stray"},
		{"--year", "-1"},
	} {
		_, _, err := runCmd(t, append([]string{"export", "--db", db}, args...)...)
		if exitCode(err) != exitUsage {
			t.Errorf("export %v: exit %d (%v), want %d", args, exitCode(err), err, exitUsage)
		}
	}
	_, _, err := runCmd(t, "export", "--db", filepath.Join(t.TempDir(), "missing.db"))
	if exitCode(err) != exitFailure {
		t.Errorf("missing db: exit %d (%v), want %d", exitCode(err), err, exitFailure)
	}
}

func TestExport_OutFileIsAtomic(t *testing.T) {
	db := fillArchive(t)
	out := filepath.Join(t.TempDir(), "x.csv")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := run(ctx, []string{"export", "--db", db, "--out", out}, io.Discard, io.Discard)
	if !errors.Is(err, context.Canceled) || exitCode(err) != exitInterrupted {
		t.Fatalf("cancelled export: %v (exit %d)", err, exitCode(err))
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cancelled export left %s", out)
	}
	if _, err := os.Stat(out + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cancelled export left %s.tmp", out)
	}
}

func TestExport_ReportsCrossYear(t *testing.T) {
	db := fillArchive(t)
	out, _, err := runCmd(t, "export", "--db", db, "--format", "reports")
	if err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, out)
	col := func(name string) int { return slices.Index(recs[0], name) }
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		rows[r[0]+" "+r[1]] = r
	}
	// 洪泽 2024 is checked against 洪泽 2023 (stored without 淮安市): all 9 hold.
	h := rows["淮安市洪泽区人民政府 2024"]
	if h == nil || h[col("cross_year_prev")] != "2023 洪泽区人民政府" || h[col("cross_year_checked")] != "9" || h[col("cross_year_failed_rules")] != "" {
		t.Errorf("洪泽 2024 cross-year columns: %v", h)
	}
	// 洪泽 2023 breaks R4 twice (fixtures/peer/README.md).
	h = rows["洪泽区人民政府 2023"]
	if h == nil || h[col("failed_rules")] != "R4" || !strings.Contains(h[col("failures")], "R4 t4 row review: upheld+corrected+other+pending = 11 ≠ total = 0 (diff 11)") {
		t.Errorf("洪泽 2023 check columns: %v", h)
	}
	// 平潭 2024 has two versions; 2020 is not its previous year.
	p := rows["平潭综合实验区市场监督管理局 2024"]
	if p == nil || p[col("version")] != "2" || p[col("versions")] != "2" || p[col("cross_year_prev")] != "" || p[col("missing")] != "t2/rules" {
		t.Errorf("平潭 2024 row: %v", p)
	}
	if r := rows["'=湛江市司法局 2025"]; r == nil || r[col("title")] != "'=湛江市司法局2025年政府信息公开工作年度报告" || r[col("blank_cells")] != "4" {
		t.Errorf("formula report row not neutralised: %v", r)
	}
}

// readFixture reads a test fixture from testdata/, or from demodata/ for
// the real pages the demo portal already embeds (kept once, not copied).
func readFixture(name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if errors.Is(err, fs.ErrNotExist) {
		return os.ReadFile(filepath.Join("demodata", name))
	}
	return b, err
}
