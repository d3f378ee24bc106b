package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"nianbao/parser"
	"nianbao/store"
)

// The generated archive of 'nianbao bench' and of the benchmarks: report
// i is the real 湛江市司法局 2025 report (the seed text of the demo portal,
// rendered one table cell per paragraph as the portal serves it) made
// into another report by three substitutions:
//
//   - the agency becomes 生成市第NNNNN局 with NNNNN = i/benchYears, so
//     every agency has benchYears consecutive reports;
//   - the year becomes 2021 + i%benchYears (the 2021 template, which the
//     seed uses) and the publication year the year after;
//   - every number printed alone in a paragraph (the table cells) is
//     multiplied by 1 + i%11, which keeps the report's arithmetic (R1–R4
//     are sums) and makes consecutive years differ.
//
// Each page is parsed by this build's parser and stored as a crawl would:
// its body as a capture (zstd, by SHA-256) and the parsed report as
// version 1 of (agency, year) pointing to it. A page that does not parse
// to the expected agency, year and numbers stops the generator with an
// error: nothing is ever stored that the parser would not produce.

// benchYears is the number of consecutive statistics years per generated
// agency.
const benchYears = 5

// benchGenerator makes the pages of a generated archive.
type benchGenerator struct {
	// lines are the seed's non-empty lines with the agency and years as
	// placeholders; num[j] is line j's value when it is a number alone.
	lines []string
	num   []int
	isNum []bool
	// base are the cells of the seed page (factor 1).
	base []parser.Cell
}

// benchSeedAgency and benchSeedYear are what the seed report prints.
const (
	benchSeedAgency = "湛江市司法局"
	benchSeedYear   = 2025
)

func newBenchGenerator() (*benchGenerator, error) {
	seed, err := demodata.ReadFile("demodata/zhanjiang-sifaju-2025.txt")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	g := &benchGenerator{}
	for _, l := range strings.Split(string(seed), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		n, err := strconv.Atoi(l)
		g.lines = append(g.lines, l)
		g.num = append(g.num, n)
		g.isNum = append(g.isNum, err == nil && n >= 0)
	}
	// The seed page itself (factor 1, its own agency and year) gives the
	// cells every generated page is checked against.
	r, err := parser.Parse(g.render(benchSeedAgency, benchSeedYear, 1), parser.Source{URL: "seed"})
	if err != nil {
		return nil, fmt.Errorf("bench: parse the seed page: %w", err)
	}
	if r.Agency != benchSeedAgency || r.Year != benchSeedYear || len(r.Cells) < 150 {
		return nil, fmt.Errorf("bench: the seed page parses to %q %d with %d cells, want %s %d with all its cells",
			r.Agency, r.Year, len(r.Cells), benchSeedAgency, benchSeedYear)
	}
	g.base = r.Cells
	return g, nil
}

// benchIdentity is generated report i's agency, year and factor.
func benchIdentity(i int) (agency string, year, factor int) {
	return benchAgencyName(i / benchYears), 2021 + i%benchYears, 1 + i%11
}

// benchAgencyName is the name of generated agency a: "第NNNNN局" occurs in
// no other agency's name, so 'ls --agency' and 'diff --agency' select one.
func benchAgencyName(a int) string { return fmt.Sprintf("生成市第%05d局", a) }

// render builds the page of agency's report for year, numbers times f.
func (g *benchGenerator) render(agency string, year, f int) []byte {
	rep := strings.NewReplacer(benchSeedAgency, agency,
		strconv.Itoa(benchSeedYear), strconv.Itoa(year), strconv.Itoa(benchSeedYear+1), strconv.Itoa(year+1))
	var b strings.Builder
	for j, l := range g.lines {
		if g.isNum[j] {
			b.WriteString(strconv.Itoa(g.num[j] * f))
		} else {
			rep.WriteString(&b, l)
		}
		b.WriteByte('\n')
	}
	title := agency + strconv.Itoa(year) + "年政府信息公开工作年度报告"
	return seedPage(title, agency, []byte(b.String()))
}

// page returns generated page i and the provenance it is stored with.
func (g *benchGenerator) page(i int) (store.Capture, []byte) {
	agency, year, f := benchIdentity(i)
	c := store.Capture{
		URL:         fmt.Sprintf("http://bench.nianbao.invalid/gk/nb/%d/post_%d.html", year+1, i),
		Status:      200,
		ContentType: "text/html; charset=utf-8",
		FetchedAt:   time.Date(year+1, 2, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Site:        "bench",
	}
	return c, g.render(agency, year, f)
}

// parse parses generated page i and checks that it gives report i: its
// agency and year, and the seed's cells with every number times i's
// factor.
func (g *benchGenerator) parse(p *parser.Parser, i int) (*parser.Report, store.Capture, []byte, error) {
	c, body := g.page(i)
	r, err := p.Parse(body, parser.Source{URL: c.URL, FetchedAt: c.FetchedAt, ContentType: c.ContentType})
	if err != nil {
		return nil, c, nil, fmt.Errorf("bench: generated page %d: %w", i, err)
	}
	agency, year, f := benchIdentity(i)
	if r.Agency != agency || r.Year != year || len(r.Cells) != len(g.base) {
		return nil, c, nil, fmt.Errorf("bench: generated page %d parses to %q %d with %d cells, want %q %d with %d",
			i, r.Agency, r.Year, len(r.Cells), agency, year, len(g.base))
	}
	for k, bc := range g.base {
		want := bc.Value
		if n, err := strconv.Atoi(want); err == nil {
			want = strconv.Itoa(n * f)
		}
		if rc := r.Cells[k]; rc.ID() != bc.ID() || rc.Value != want {
			return nil, c, nil, fmt.Errorf("bench: generated page %d: cell %s = %q, want %s = %q", i, rc.ID(), rc.Value, bc.ID(), want)
		}
	}
	return r, c, body, nil
}

// benchBatch is the number of generated pages stored per transaction of
// captures.
const benchBatch = 256

// generateArchive creates a new archive at path holding generated reports
// 0 … n-1, parsing the pages on all cores. progress, when not nil, is
// called after each batch with the number of reports stored so far. An
// existing file is never touched: it returns an error wrapping
// os.ErrExist.
func generateArchive(ctx context.Context, path string, n int, progress func(stored int)) error {
	if n < 1 {
		return errors.New("bench: the archive needs at least one report")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("bench: %s: %w", path, os.ErrExist)
	}
	g, err := newBenchGenerator()
	if err != nil {
		return err
	}
	// No fsync per transaction: a generated archive that a crash cut
	// short is simply generated again.
	db, err := store.Open(path, &store.Options{NoSync: true, SnapshotInterval: -1})
	if err != nil {
		return err
	}
	runID, err := db.BeginRunKind("bench", []string{"bench"})
	if err != nil {
		db.Close()
		return err
	}
	p := parser.New(parser.DefaultOptions)
	defer p.Close()

	type gen struct {
		r    *parser.Report
		item store.CaptureItem
		err  error
	}
	var batch []gen
	stored := 0
	flush := func() error {
		items := make([]store.CaptureItem, len(batch))
		for k, b := range batch {
			items[k] = b.item
		}
		if _, err := db.PutCaptures(items); err != nil {
			return err
		}
		for _, b := range batch {
			if _, err := db.PutReport(b.r, []string{b.r.SHA256}, runID); err != nil {
				return err
			}
		}
		stored += len(batch)
		batch = batch[:0]
		if progress != nil {
			progress(stored)
		}
		return nil
	}
	err = forEachOrdered(ctx, n, 0, func(i int) gen {
		r, c, body, err := g.parse(p, i)
		return gen{r: r, item: store.CaptureItem{Capture: c, Body: body}, err: err}
	}, func(i int, x gen) error {
		if x.err != nil {
			return x.err
		}
		if batch = append(batch, x); len(batch) == benchBatch {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	if err == nil {
		err = db.FinishRun(store.Run{ID: runID, Counts: store.Counts{NewCaptures: stored, NewReports: stored}})
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("generate %s: %w", path, err)
	}
	return nil
}
