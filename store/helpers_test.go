package store

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"nianbao/parser"
)

// mustOpen opens a new database under tb.TempDir() and closes it at the
// end of the test. opts may be nil; snapshots are disabled unless opts
// asks for them, so that tests do not write extra files.
func mustOpen(tb testing.TB, opts *Options) (*DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "nianbao.db")
	return mustOpenPath(tb, path, opts), path
}

func mustOpenPath(tb testing.TB, path string, opts *Options) *DB {
	tb.Helper()
	if opts == nil {
		opts = &Options{SnapshotInterval: -1}
	}
	db, err := Open(path, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// truthReport builds the parser.Report of the 行政审批局 2023 fixture from
// its hand-checked truth file, as the parser would produce it.
func truthReport(tb testing.TB) *parser.Report {
	tb.Helper()
	b, err := os.ReadFile("testdata/pingtan-xingzhengshenpiju-2023.truth.json")
	if err != nil {
		tb.Fatal(err)
	}
	var truth struct {
		Agency    string
		Year      int
		Published string
		Table2    map[string]any
		Table3    map[string][]int
		Table4    []int
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		tb.Fatal(err)
	}
	r := &parser.Report{Agency: truth.Agency, AgencySource: parser.IdentityTitle, Year: truth.Year, YearSource: parser.IdentityTitle, Format: parser.Format2021,
		Published: truth.Published, Scope: parser.ScopeSelf, Input: "html", Checked: 4, ParserVersion: parser.Version,
		Title: truth.Agency + strconv.Itoa(truth.Year) + "年政府信息公开工作年度报告"}
	add := func(table, row, col string, v int) {
		s := strconv.Itoa(v)
		r.Cells = append(r.Cells, parser.Cell{Table: table, Row: row, Column: col, Value: s, Raw: s})
	}
	for _, row := range parser.Rows(parser.TableActive, parser.Format2021) {
		key := row.ID
		if key == "fees" {
			key = "fees_10k_yuan"
		}
		switch v := truth.Table2[key].(type) {
		case []any:
			for i, x := range v {
				add(parser.TableActive, row.ID, row.Columns[i], int(x.(float64)))
			}
		case float64:
			add(parser.TableActive, row.ID, row.Columns[0], int(v))
		}
	}
	for _, row := range parser.Rows(parser.TableRequests, parser.Format2021) {
		for i, v := range truth.Table3[row.ID] {
			add(parser.TableRequests, row.ID, row.Columns[i], v)
		}
	}
	for i, row := range parser.Rows(parser.TableAppeals, parser.Format2021) {
		for j, col := range row.Columns {
			add(parser.TableAppeals, row.ID, col, truth.Table4[i*len(row.Columns)+j])
		}
	}
	return r
}

// syntheticReport is a full 2021-format report with numbers drawn from
// rng: realistic in shape and size (syntheticCells cells).
func syntheticReport(agency string, year int, rng *rand.Rand) *parser.Report {
	r := &parser.Report{Agency: agency, AgencySource: parser.IdentityTitle, Year: year, YearSource: parser.IdentityTitle, Format: parser.Format2021, Scope: parser.ScopeSelf,
		Input: "html", Checked: 4, ParserVersion: parser.Version, Published: fmt.Sprintf("%d-01-%02d", year+1, 1+rng.IntN(28)),
		Title: fmt.Sprintf("%s%d年政府信息公开工作年度报告", agency, year)}
	for _, t := range parser.Tables {
		for _, row := range parser.Rows(t, parser.Format2021) {
			for _, col := range row.Columns {
				v := strconv.Itoa(rng.IntN(40) * rng.IntN(3))
				r.Cells = append(r.Cells, parser.Cell{Table: t, Row: row.ID, Column: col, Value: v, Raw: v})
			}
		}
	}
	return r
}

// fixturePages returns the real report pages in testdata.
func fixturePages(tb testing.TB) [][]byte {
	tb.Helper()
	pages, err := loadPages()
	if err != nil {
		tb.Fatal(err)
	}
	return pages
}

func loadPages() ([][]byte, error) {
	files, err := filepath.Glob("testdata/*.html.gz")
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no testdata pages: %v", err)
	}
	var pages [][]byte
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			fh.Close()
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		b, err := io.ReadAll(zr)
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		pages = append(pages, b)
	}
	return pages, nil
}

// variedPage returns a 50–100 KB page cut from one of the real pages at a
// random offset, with every ASCII digit replaced at random, so that no two
// pages are equal and compression works on real markup, not on copies.
func variedPage(pages [][]byte, rng *rand.Rand) []byte {
	base := pages[rng.IntN(len(pages))]
	n := 50<<10 + rng.IntN(50<<10)
	n = min(n, len(base))
	off := rng.IntN(len(base) - n + 1)
	for off > 0 && base[off]&0xC0 == 0x80 { // start on a UTF-8 boundary
		off--
	}
	p := bytes.Clone(base[off : off+n])
	for i, c := range p {
		if c >= '0' && c <= '9' {
			p[i] = '0' + byte(rng.IntN(10))
		}
	}
	return p
}

func testCapture(url string, status int) Capture {
	return Capture{URL: url, Status: status, ContentType: "text/html; charset=utf-8",
		ETag: `"abc"`, FetchedAt: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// syntheticCells is the number of cells of a full 2021-format report.
const syntheticCells = 200

// boltTx lets tests reach into the file without importing bbolt in every
// test file.
type boltTx = bolt.Tx
