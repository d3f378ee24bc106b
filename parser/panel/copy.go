package panel

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"nianbao/parser"
)

// Copy detection thresholds (Options may override them).
const (
	// DefaultCopyThreshold is the prose similarity (estimated Jaccard
	// similarity of the 5-character shingle sets, digit runs folded) at
	// or above which two reports' prose counts as near-identical: 90 % of
	// their distinct shingles shared. Real reports of one organ in
	// consecutive years share 20–35 % (淮安市洪泽区 2023/2024: 35 %); the
	// same report read from a PDF and from its text layout 94–100 %.
	DefaultCopyThreshold = 0.9
	// DefaultMinShingles is the least prose (distinct shingles, about as
	// many characters) a report must have for its prose to be compared:
	// below it two short reports of template sentences would look alike.
	DefaultMinShingles = 100
)

// stockColumns are table 二's columns that carry over from year to year by
// nature (a count of rules in force, of items): equal values there are no
// sign of copying and do not count as activity.
var stockColumns = map[string]bool{"in_force": true, "total_published": true, "prev_items": true}

// tableCopy compares cur's cells with prev's. It reports identical tables
// when every cell the two reports both print (tables 三 and 四 always;
// table 二 when both use the same template) has the same value and
// merge, at least 15 cells were compared, and at least one compared
// cell that is not a stock is non-zero: an organ with no activity prints
// zeros every year, which is not a copy.
func tableCopy(prev, cur *parser.Report) (compared, nonzero int, example string, identical bool) {
	if prev == nil || cur == nil || len(prev.Cells) == 0 || len(cur.Cells) == 0 {
		return 0, 0, "", false
	}
	old := make(map[cellKey]*parser.Cell, len(prev.Cells))
	for i := range prev.Cells {
		c := &prev.Cells[i]
		old[cellKey{c.Table, c.Row, c.Column}] = c
	}
	for _, c := range cur.Cells {
		if c.Table == parser.TableActive && prev.Format != cur.Format {
			continue
		}
		p, ok := old[cellKey{c.Table, c.Row, c.Column}]
		if !ok {
			continue
		}
		compared++
		if p.Value != c.Value || p.MergedWith != c.MergedWith {
			return compared, nonzero, "", false
		}
		if c.Value != "" && !stockColumns[c.Column] {
			if v, ok := parseDec(c.Value); ok && v != 0 {
				nonzero++
				if example == "" {
					example = c.ID() + " = " + c.Value
				}
			}
		}
	}
	return compared, nonzero, example, compared >= 15 && nonzero > 0
}

// copyPreviousYear returns the copy_previous_year signal for cur against
// prev (the same organ's report for the year before), or false.
func copyPreviousYear(prev, cur *Entry, threshold float64, minShingles int) (Signal, bool) {
	if prev == nil || prev.Report == nil || cur.Report == nil {
		return Signal{}, false
	}
	var ev []string
	compared, nonzero, example, same := tableCopy(prev.Report, cur.Report)
	if same {
		ev = append(ev, fmt.Sprintf("tables identical to %d's: %d cells compared, all equal, %d of them non-zero activity (e.g. %s)",
			prev.Year, compared, nonzero, example))
	}
	sim, ok := proseSimilar(prev.Report.Outline, cur.Report.Outline, minShingles)
	if ok && sim >= threshold {
		ev = append(ev, fmt.Sprintf("prose %.0f%% similar to %d's (shingles of %d characters, digits ignored; threshold %.0f%%; %d and %d shingles)",
			100*sim, prev.Year, parser.ShingleLen, 100*threshold, prev.Report.Outline.Shingles, cur.Report.Outline.Shingles))
	}
	if len(ev) == 0 {
		return Signal{}, false
	}
	s := Signal{ID: SignalCopyPreviousYear, Detail: strings.Join(ev, "; "),
		Ref: &Ref{AgencyID: prev.AgencyID, Agency: prev.Agency, Site: prev.Site, Year: prev.Year, SourceURL: prev.sourceURL()}}
	if ok {
		s.Ref.Similarity = sim
	}
	return s, true
}

// proseSimilar compares two outlines' fingerprints when both have enough
// prose.
func proseSimilar(a, b *parser.Outline, minShingles int) (float64, bool) {
	if a == nil || b == nil || a.Shingles < minShingles || b.Shingles < minShingles {
		return 0, false
	}
	return parser.ProseSimilarity(a, b)
}

// Siblings finds, for each report, the most similar prose among the other
// organs' reports of the same statistics year (copy_sibling). Add every
// report first (a pass over the archive that needs only each report's
// Outline), then ask Match; the first Match resolves the index.
//
// Candidates come from locality-sensitive hashing over the fingerprints:
// 16 bands of 8 bins, so that two reports whose true similarity is 0.9
// share a band with probability 1 − (1 − 0.9⁸)¹⁶ ≈ 0.9999, and ones at
// 0.5 with 0.06; candidates are then compared on all 128 bins. Reports
// with identical fingerprints are grouped first, so that a hundred copies
// of one text cost one comparison per band, not ten thousand, and a
// member of a crowded band bucket is compared with at most 64 others of
// it (maxBucketPeers).
//
// Memory: about 430 bytes per report indexed (its 256-byte fingerprint,
// its names and key), i.e. about 43 MB live for a year of 100,000
// reports, plus 16 bytes per report while resolving; reports without
// enough prose are not kept. BenchmarkSiblings measures it.
// Add and Match must not be called concurrently.
type Siblings struct {
	threshold   float64
	minShingles int
	years       map[int]*yearSet
}

type yearSet struct {
	refs     []Ref
	keys     map[string]int32 // organ key → index of its first report
	sigs     []byte           // 2*parser.MinHashBins bytes per report
	best     []int32          // index of the best match, -1 for none
	bestSim  []float32
	others   []int32 // matches at or above the threshold, the best included
	resolved bool
}

// NewSiblings returns an empty index with the copy threshold and minimum
// prose of opts (defaults when zero).
func NewSiblings(opts Options) *Siblings {
	o := opts.withDefaults()
	return &Siblings{threshold: o.CopyThreshold, minShingles: o.MinShingles, years: map[int]*yearSet{}}
}

// Add indexes e's prose fingerprint under its statistics year; reports
// without an outline or with less prose than the minimum are skipped, and
// a second report of the same organ and year is ignored.
func (s *Siblings) Add(e *Entry) {
	if e == nil || e.Report == nil || e.Report.Outline == nil {
		return
	}
	o := e.Report.Outline
	if o.Shingles < s.minShingles || len(o.MinHash) != 2*parser.MinHashBins {
		return
	}
	ys := s.years[e.Year]
	if ys == nil {
		ys = &yearSet{keys: map[string]int32{}}
		s.years[e.Year] = ys
	}
	if _, dup := ys.keys[e.Key()]; dup {
		return
	}
	ys.keys[e.Key()] = int32(len(ys.refs))
	ys.refs = append(ys.refs, Ref{AgencyID: e.AgencyID, Agency: e.Agency, Site: e.Site, Year: e.Year, SourceURL: e.sourceURL()})
	ys.sigs = append(ys.sigs, o.MinHash...)
}

// Len returns the number of reports indexed; 0 for a nil index.
func (s *Siblings) Len() int {
	if s == nil {
		return 0
	}
	n := 0
	for _, ys := range s.years {
		n += len(ys.refs)
	}
	return n
}

// SiblingMatch is the most similar other organ's report of the year.
type SiblingMatch struct {
	Ref
	// Others counts the other organs' reports of the year at or above
	// the threshold (at least 1: this match).
	Others int
}

// Match returns the other organ's report of e's year whose prose is most
// similar to e's, when it reaches the threshold.
func (s *Siblings) Match(e *Entry) (SiblingMatch, bool) {
	if s == nil || e == nil {
		return SiblingMatch{}, false
	}
	ys := s.years[e.Year]
	if ys == nil {
		return SiblingMatch{}, false
	}
	i, ok := ys.keys[e.Key()]
	if !ok {
		return SiblingMatch{}, false
	}
	if !ys.resolved {
		ys.resolve(s.threshold)
	}
	b := ys.best[i]
	if b < 0 {
		return SiblingMatch{}, false
	}
	m := SiblingMatch{Ref: ys.refs[b], Others: int(ys.others[i])}
	m.Similarity = float64(ys.bestSim[i])
	return m, true
}

const (
	// maxBucketPeers bounds the work on a band bucket that many distinct
	// fingerprints share (thousands of towns filling in one template):
	// each member is compared with the next maxBucketPeers members only,
	// so that resolving stays linear. Every member still meets a
	// near-identical peer if it has one in the bucket; Others may then
	// undercount.
	maxBucketPeers = 64
	lshBands       = 16
	lshRows        = parser.MinHashBins / lshBands // 8 bins per band
	sigBytes       = 2 * parser.MinHashBins
)

func (ys *yearSet) sig(i int32) []byte { return ys.sigs[int(i)*sigBytes : int(i+1)*sigBytes] }

func similarity(a, b []byte) float32 {
	eq := 0
	for k := 0; k < sigBytes; k += 2 {
		if a[k] == b[k] && a[k+1] == b[k+1] {
			eq++
		}
	}
	return float32(eq) / parser.MinHashBins
}

// resolve finds every report's best match.
func (ys *yearSet) resolve(threshold float64) {
	n := len(ys.refs)
	ys.best = make([]int32, n)
	ys.bestSim = make([]float32, n)
	ys.others = make([]int32, n)
	for i := range ys.best {
		ys.best[i] = -1
	}
	ys.resolved = true
	thr := float32(threshold)
	type keyed struct {
		h uint64
		i int32
	}
	keys := make([]keyed, n)

	// Group identical fingerprints: each member matches the others at 1.
	for i := range n {
		keys[i] = keyed{hashBytes(ys.sig(int32(i))), int32(i)}
	}
	slices.SortFunc(keys, func(a, b keyed) int { return cmp.Or(cmp.Compare(a.h, b.h), cmp.Compare(a.i, b.i)) })
	// groups maps the representative of each group of two or more
	// identical fingerprints to its members; a report alone is its own.
	groups := map[int32][]int32{}
	members := func(r int32) []int32 {
		if g, ok := groups[r]; ok {
			return g
		}
		return []int32{r}
	}
	var reps []int32
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && keys[hi].h == keys[lo].h {
			hi++
		}
		// Equal hashes: group by byte equality (a 64-bit collision
		// would otherwise merge two fingerprints).
		var groupReps []int32
		for k := lo; k < hi; k++ {
			i := keys[k].i
			placed := false
			for _, r := range groupReps {
				if bytes.Equal(ys.sig(r), ys.sig(i)) {
					if groups[r] == nil {
						groups[r] = []int32{r}
					}
					groups[r] = append(groups[r], i)
					placed = true
					break
				}
			}
			if !placed {
				groupReps = append(groupReps, i)
			}
		}
		reps = append(reps, groupReps...)
		lo = hi
	}
	for _, g := range groups {
		for x, i := range g {
			j := g[0]
			if x == 0 {
				j = g[1]
			}
			ys.best[i], ys.bestSim[i], ys.others[i] = j, 1, int32(len(g)-1)
		}
	}

	// LSH over the distinct fingerprints.
	bk := make([]keyed, len(reps))
	for band := range lshBands {
		for k, r := range reps {
			s := ys.sig(r)[band*lshRows*2 : (band+1)*lshRows*2]
			bk[k] = keyed{hashBytes(s) ^ uint64(band)*0x9E3779B97F4A7C15, r}
		}
		slices.SortFunc(bk, func(a, b keyed) int { return cmp.Or(cmp.Compare(a.h, b.h), cmp.Compare(a.i, b.i)) })
		for lo := 0; lo < len(bk); {
			hi := lo + 1
			for hi < len(bk) && bk[hi].h == bk[lo].h {
				hi++
			}
			for x := lo; x < hi; x++ {
				for y := x + 1; y < hi && y <= x+maxBucketPeers; y++ {
					a, b := bk[x].i, bk[y].i
					if ys.collideBefore(a, b, band) {
						continue // compared in an earlier band
					}
					sim := similarity(ys.sig(a), ys.sig(b))
					if sim < thr {
						continue
					}
					ys.link(members(a), members(b), sim)
				}
			}
			lo = hi
		}
	}
}

// collideBefore reports whether a and b share one of the bands before
// band: their pair was then compared there, and need not be again.
func (ys *yearSet) collideBefore(a, b int32, band int) bool {
	sa, sb := ys.sig(a), ys.sig(b)
	for k := range band {
		if bytes.Equal(sa[k*lshRows*2:(k+1)*lshRows*2], sb[k*lshRows*2:(k+1)*lshRows*2]) {
			return true
		}
	}
	return false
}

// link records that every report of group a matches every report of group
// b at sim.
func (ys *yearSet) link(a, b []int32, sim float32) {
	for _, i := range a {
		for _, j := range b {
			ys.others[i]++
			ys.others[j]++
			if sim > ys.bestSim[i] || ys.best[i] < 0 {
				ys.best[i], ys.bestSim[i] = j, sim
			}
			if sim > ys.bestSim[j] || ys.best[j] < 0 {
				ys.best[j], ys.bestSim[j] = i, sim
			}
		}
	}
}

// hashBytes is FNV-1a over b.
func hashBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for len(b) >= 8 {
		h ^= binary.LittleEndian.Uint64(b)
		h *= 1099511628211
		b = b[8:]
	}
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// siblingSignal renders a copy_sibling match.
func siblingSignal(m SiblingMatch, threshold float64) Signal {
	d := fmt.Sprintf("prose %.0f%% similar to %s's report for %d", 100*m.Similarity, m.Agency, m.Year)
	if m.AgencyID != "" {
		d += " (agency_id " + m.AgencyID + ")"
	}
	if m.SourceURL != "" {
		d += ", " + m.SourceURL
	}
	d += fmt.Sprintf(" (shingles of %d characters, digits ignored; threshold %.0f%%)", parser.ShingleLen, 100*threshold)
	if m.Others > 1 {
		d += fmt.Sprintf("; %d other organs' reports of %d reach the threshold", m.Others, m.Year)
	}
	ref := m.Ref
	return Signal{ID: SignalCopySibling, Detail: d, Ref: &ref}
}
