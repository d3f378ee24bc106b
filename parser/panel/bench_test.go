package panel

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"nianbao/parser"
)

// genReport builds report i of a generated archive in the shape of the
// export benchmark's (cmd/nianbao/export_bench_test.go): agencies of five
// years each (2020 in the 2019 format, 2021–2024 in the 2021 format),
// every cell of the template printed, values derived from i, a few
// blanks, a decimal fee. The values break R1–R4 freely, so checks_failed
// has work to do.
func genReport(i int) *parser.Report {
	year := 2020 + i%5
	f := parser.Format2021
	if year == 2020 {
		f = parser.Format2019
	}
	r := &parser.Report{
		Agency:    fmt.Sprintf("生成市第%05d局", i/5),
		Year:      year,
		Format:    f,
		Published: fmt.Sprintf("%d-%02d-%02d", year+1, 1+i%3, 1+i%28),
		Scope:     parser.ScopeSelf,
		SourceURL: fmt.Sprintf("https://www.example.gov.cn/gk/nb/%d/%d.html", year+1, i),
		Missing:   []string{},
	}
	n := 0
	for _, t := range parser.Tables {
		for _, row := range parser.Rows(t, f) {
			for _, col := range row.Columns {
				n++
				v := strconv.Itoa((i*31 + n*17) % 97)
				switch {
				case row.ID == "fees" && col == "amount_10k_yuan":
					v = strconv.Itoa(i%9000) + "." + strconv.Itoa(10+i%90)
				case (i+n)%53 == 0:
					v = "" // printed as "/"
				}
				raw := v
				if v == "" {
					raw = "/"
				}
				r.Cells = append(r.Cells, parser.Cell{Table: t, Row: row.ID, Column: col, Value: v, Raw: raw})
			}
		}
	}
	// Checks as the parser would run them are not re-run here; a sample
	// failure per report stands for them.
	r.Failures = []parser.CheckFailure{{Rule: "R1", Table: "t3", Column: "total", Left: "new_received+carried_over", LeftValue: "9", Right: "total+carried_forward", RightValue: "7", Diff: "2"}}
	return r
}

// benchOutline is report i's outline: six sections, a fingerprint drawn
// from i's organ and year; every 50th organ copies its neighbour's prose.
func benchOutline(i int) *parser.Outline {
	organ := i / 5
	if organ%50 == 49 {
		organ--
	}
	rng := rand.New(rand.NewPCG(uint64(organ), uint64(2020+i%5)))
	sig := make([]byte, 2*parser.MinHashBins)
	for k := 0; k < len(sig); k += 8 {
		binary.LittleEndian.PutUint64(sig[k:], rng.Uint64())
	}
	return &parser.Outline{Sections: parser.Sections, Section5Runes: 200, ProseRunes: 1200, Shingles: 1000, MinHash: sig}
}

// benchArchive hands out the entries of an archive of n reports one
// agency (five years) at a time, as the store's agency/year order would.
// Reports are built from a pool of 100, copied shallowly with their own
// name and outline, so that the benchmark measures the analysis, not the
// generator's memory.
type benchArchive struct {
	pool []*parser.Report
}

func newBenchArchive() *benchArchive {
	a := &benchArchive{}
	for i := range 100 {
		a.pool = append(a.pool, genReport(i))
	}
	return a
}

func (a *benchArchive) entry(i int) *Entry {
	r := *a.pool[i%len(a.pool)]
	r.Agency = fmt.Sprintf("生成市第%05d局", i/5)
	r.Outline = benchOutline(i)
	first := time.Date(r.Year+1, 1, 10+i%25, 3, 0, 0, 0, cst)
	e := &Entry{AgencyID: "g" + strconv.Itoa(i/5), Agency: r.Agency, Site: "生成市", Year: r.Year, Report: &r,
		Identified: true, FirstSeen: first, Versions: []Version{{N: 1, Report: &r, Digest: "d", StoredAt: first}}}
	if i%40 == 0 { // a revision now and then
		prev := *a.pool[(i+1)%len(a.pool)]
		e.Versions = []Version{{N: 1, Report: &prev, Digest: "a", Captures: []string{"x"}, StoredAt: first},
			{N: 2, Report: &r, Digest: "b", Captures: []string{"y"}, StoredAt: first.Add(48 * time.Hour)}}
	}
	return e
}

// peakHeap samples the Go heap (live and unswept objects) every
// millisecond while fn runs and returns the largest value seen, in bytes.
func peakHeap(fn func()) uint64 {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				metrics.Read(samples)
				if v := samples[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak.Load()
}

// BenchmarkAnalyze computes signals and indicators for a 10,000-report
// archive (2,000 agencies × 5 years) the way an export would stream it: a
// first pass adds every report's fingerprint to Siblings, a second
// analyses one agency at a time. It reports reports/s and the peak Go
// heap: go test ./parser/panel -run '^$' -bench Analyze -benchtime 3x
func BenchmarkAnalyze(b *testing.B) {
	const n = 10_000
	arch := newBenchArchive()
	a := New(Options{})
	var peak uint64
	signals, indicators := 0, 0
	for b.Loop() {
		signals, indicators = 0, 0
		p := peakHeap(func() {
			sib := NewSiblings(Options{})
			for i := range n {
				sib.Add(arch.entry(i))
			}
			group := make([]*Entry, 0, 5)
			for i := 0; i < n; i += 5 {
				group = group[:0]
				for k := i; k < i+5; k++ {
					group = append(group, arch.entry(k))
				}
				for _, res := range a.Analyze(group, sib) {
					signals += len(res.Signals)
					indicators += len(res.Indicators)
				}
			}
		})
		peak = max(peak, p)
	}
	if indicators != n*len(Dictionary) || signals < n {
		b.Fatalf("%d indicators, %d signals", indicators, signals)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "reports/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(signals)/n, "signals/report")
}

// BenchmarkIndicators is the indicator dictionary alone, per report.
func BenchmarkIndicators(b *testing.B) {
	r, prev := genReport(1), genReport(0)
	prev.Year = r.Year - 1
	b.ReportAllocs()
	for b.Loop() {
		if len(Indicators(r, prev)) != len(Dictionary) {
			b.Fatal("indicators")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}

// BenchmarkSiblings indexes one year of 100,000 reports (every 50th a copy
// of another's prose, and a crowd of 2,000 near-identical template
// reports) and resolves every report's best match: the memory bound of
// copy_sibling. go test ./parser/panel -run '^$' -bench Siblings -benchtime 2x
func BenchmarkSiblings(b *testing.B) {
	const n = 100_000
	outline := func(i int) *parser.Outline {
		o := benchOutline(i * 5) // organ i, year 2020
		if i >= 10_000 && i < 12_000 {
			// A template filled in by 2,000 towns: all bins but one equal.
			o = benchOutline(0)
			o.MinHash = append([]byte{}, o.MinHash...)
			binary.LittleEndian.PutUint16(o.MinHash[2*(i%parser.MinHashBins):], uint16(i))
		}
		return o
	}
	var peak uint64
	found := 0
	for b.Loop() {
		found = 0
		peak = max(peak, peakHeap(func() {
			sib := NewSiblings(Options{})
			for i := range n {
				sib.Add(&Entry{AgencyID: "g" + strconv.Itoa(i), Agency: "生成市第" + strconv.Itoa(i) + "局", Year: 2020,
					Report: &parser.Report{Outline: outline(i)}})
			}
			for i := range n {
				if _, ok := sib.Match(&Entry{AgencyID: "g" + strconv.Itoa(i), Year: 2020}); ok {
					found++
				}
			}
		}))
	}
	if want := 2*(n/50) + 2000; found < want-200 || found > want+200 {
		b.Fatalf("%d reports with a sibling, want about %d", found, want)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "reports/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
