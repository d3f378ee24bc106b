package panel

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"nianbao/parser"
)

// CoverageState is the state of one organ × year of the coverage matrix.
type CoverageState string

// Coverage states: the export contract (issue 13).
const (
	// StateFound: a report with its tables (or, before 2019, the legacy
	// report, whose free-form tables are not tabulated), on time or with
	// no deadline or no date to judge by.
	StateFound CoverageState = "found"
	// StateLate: found, published after the deadline (Timeliness.Late).
	StateLate CoverageState = "late"
	// StateMissing: expected, and no report in the archive.
	StateMissing CoverageState = "missing"
	// StateNoTables: a readable report without the standard tables (none
	// printed, or only a link to an attachment the archive did not read).
	StateNoTables CoverageState = "no_tables"
	// StateNotExtractable: the report's tables cannot be read: images, a
	// scanned PDF, a .doc/.wps/.xls file (parser.Report.NoTables).
	StateNotExtractable CoverageState = "not_extractable"
	// StateUnidentified: a report whose organ could not be identified (the
	// agency name is the site's fallback): listed under that name,
	// outside the expected universe.
	StateUnidentified CoverageState = "unidentified"
)

// CoverageStates lists the states in a fixed order.
var CoverageStates = []CoverageState{StateFound, StateLate, StateMissing, StateNoTables, StateNotExtractable, StateUnidentified}

// Observation is the little the coverage matrix needs of one report.
type Observation struct {
	Site, AgencyID, Agency string
	Year                   int
	Organ                  OrganType
	Identified             bool
	Format                 parser.Format
	NoTables               string
	Late                   bool
	SourceURL              string
}

// Key returns the organ key (as Entry.Key).
func (o Observation) Key() string {
	if o.AgencyID != "" {
		return o.AgencyID
	}
	return "name:" + o.Agency
}

// Observe reduces a Result to its Observation.
func Observe(r *Result) Observation {
	e := r.Entry
	o := Observation{Site: e.Site, AgencyID: e.AgencyID, Agency: e.Agency, Year: e.Year, Organ: r.Organ.Type,
		Identified: e.Identified, Late: r.Timeliness.Late, SourceURL: e.sourceURL()}
	if e.Report != nil {
		o.Format, o.NoTables = e.Report.Format, e.Report.NoTables
	}
	return o
}

// state returns the observation's state.
func (o Observation) state() CoverageState {
	switch {
	case !o.Identified:
		return StateUnidentified
	case o.NoTables != "" && o.Format == parser.FormatLegacy && strings.Contains(o.NoTables, "legacy"):
		return StateFound // legacy tables are archived, not tabulated
	case o.NoTables != "" && (strings.Contains(o.NoTables, "not extractable") || strings.Contains(o.NoTables, "images")):
		return StateNotExtractable
	case o.NoTables != "":
		return StateNoTables
	case o.Late:
		return StateLate
	}
	return StateFound
}

// stateRank orders the states of several reports for one organ × year:
// the best one stands for the cell.
var stateRank = map[CoverageState]int{StateFound: 0, StateLate: 1, StateNoTables: 2, StateNotExtractable: 3, StateUnidentified: 4, StateMissing: 5}

// Expected is an organ a site is expected to publish for, from the
// configuration (`expect:`).
type Expected struct {
	Site, AgencyID, Agency string
	// Organ is its type, for the "not due yet" note of a missing cell; ""
	// means inferred from the name.
	Organ OrganType
	// From and Until bound the statistics years it is expected for; 0
	// means the matrix's first or last year (From: or the first year the
	// organ was seen, when earlier). Until also ends the expectation of an
	// organ seen on the site (it was merged or abolished).
	From, Until int
}

// Key returns the organ key (as Entry.Key).
func (x Expected) Key() string {
	if x.AgencyID != "" {
		return x.AgencyID
	}
	return "name:" + x.Agency
}

// CoverageRange bounds the matrix and says when it is drawn.
type CoverageRange struct {
	// From and To are the statistics years of the matrix; 0 means the
	// first and last year observed.
	From, To int
	// Now is when the matrix is drawn: a missing report whose deadline is
	// after Now is noted as not due yet. Zero: no such note.
	Now time.Time
}

// CoverageCell is one organ × year of the matrix.
type CoverageCell struct {
	Site, AgencyID, Agency string
	Year                   int
	State                  CoverageState
	// SourceURL is the report's (the best one's, when several); "" for
	// missing.
	SourceURL string
	// Detail says more in words: the reason tables are missing, the
	// number of reports, "not due until …" for a missing report.
	Detail string
}

// Coverage draws the matrix organ × year per site. The expected universe
// of a site: every organ identified on it in some year is expected in
// every later year of the range (until its Expected.Until), plus the
// configured expect organs for their years. Each expected organ × year
// gets the state of its report, or missing; reports outside the universe
// (unidentified ones, years before an organ was first seen) get their own
// cells. Cells are ordered by site, agency, year.
func (a *Analyzer) Coverage(obs []Observation, expect []Expected, rng CoverageRange) []CoverageCell {
	from, to := rng.From, rng.To
	if from == 0 || to == 0 {
		lo, hi := 0, 0
		for _, o := range obs {
			if o.Year <= 0 {
				continue
			}
			if lo == 0 || o.Year < lo {
				lo = o.Year
			}
			hi = max(hi, o.Year)
		}
		if from == 0 {
			from = lo
		}
		if to == 0 {
			to = hi
		}
	}
	type ck struct {
		site, key string
		year      int
	}
	type organ struct {
		site, key, id, name string
		typ                 OrganType
		from, until         int
	}
	cells := map[ck]*CoverageCell{}
	count := map[ck]int{}
	organs := map[[2]string]*organ{}
	for _, o := range obs {
		if o.Year < from || o.Year > to {
			continue
		}
		k := ck{o.Site, o.Key(), o.Year}
		st := o.state()
		count[k]++
		if c, ok := cells[k]; !ok || stateRank[st] < stateRank[c.State] {
			c := &CoverageCell{Site: o.Site, AgencyID: o.AgencyID, Agency: o.Agency, Year: o.Year, State: st, SourceURL: o.SourceURL}
			switch st {
			case StateNoTables, StateNotExtractable:
				c.Detail = o.NoTables
			}
			cells[k] = c
		}
		if !o.Identified {
			continue
		}
		ok := [2]string{o.Site, o.Key()}
		g := organs[ok]
		if g == nil {
			g = &organ{site: o.Site, key: o.Key(), id: o.AgencyID, name: o.Agency, typ: o.Organ, from: o.Year}
			organs[ok] = g
		}
		if o.Year < g.from {
			g.from = o.Year
		}
		if o.Organ != "" {
			g.typ = o.Organ
		}
	}
	for _, x := range expect {
		ok := [2]string{x.Site, x.Key()}
		g := organs[ok]
		switch {
		case g == nil:
			g = &organ{site: x.Site, key: x.Key(), id: x.AgencyID, name: x.Agency, from: cmp.Or(x.From, from)}
			organs[ok] = g
		case x.From != 0:
			g.from = min(g.from, x.From)
		}
		g.until = x.Until
		if x.Organ != "" {
			g.typ = x.Organ
		}
		if g.typ == "" {
			g.typ = ClassifyOrgan(x.Agency, parser.ScopeSelf).Type
		}
	}
	for _, g := range organs {
		last := to
		if g.until != 0 {
			last = min(last, g.until)
		}
		for y := max(g.from, from); y <= last; y++ {
			k := ck{g.site, g.key, y}
			if _, ok := cells[k]; ok {
				continue
			}
			c := &CoverageCell{Site: g.site, AgencyID: g.id, Agency: g.name, Year: y, State: StateMissing}
			if !rng.Now.IsZero() {
				if due, _ := a.Deadline(g.site, y, g.typ); due != "" && day(rng.Now) <= due {
					c.Detail = "not due until " + due
				}
			}
			cells[k] = c
		}
	}
	out := make([]CoverageCell, 0, len(cells))
	for k, c := range cells {
		if n := count[k]; n > 1 {
			c.Detail = strings.TrimPrefix(c.Detail+fmt.Sprintf("; %d reports, the best state shown", n), "; ")
		}
		out = append(out, *c)
	}
	slices.SortFunc(out, func(x, y CoverageCell) int {
		return cmp.Or(cmp.Compare(x.Site, y.Site), cmp.Compare(x.Agency, y.Agency), cmp.Compare(x.AgencyID, y.AgencyID), cmp.Compare(x.Year, y.Year))
	})
	return out
}
