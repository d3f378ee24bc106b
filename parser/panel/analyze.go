package panel

import (
	"errors"
	"fmt"

	"nianbao/parser"
)

// Options configures an Analyzer. The zero value uses every default.
type Options struct {
	// Deadlines overrides the statutory deadlines per site (by the site's
	// configured name), per organ type, for statistics years from 2019:
	// "MM-DD" of the following year or "none" (see Deadline). No
	// overrides by default.
	Deadlines map[string]map[OrganType]string
	// CopyThreshold is the prose similarity from which two reports are
	// near-identical; 0 means DefaultCopyThreshold (0.9).
	CopyThreshold float64
	// MinShingles is the least prose a report needs to be compared; 0
	// means DefaultMinShingles (100).
	MinShingles int
}

// DefaultOptions are the defaults, spelled out.
var DefaultOptions = Options{CopyThreshold: DefaultCopyThreshold, MinShingles: DefaultMinShingles}

func (o Options) withDefaults() Options {
	if o.CopyThreshold == 0 {
		o.CopyThreshold = DefaultCopyThreshold
	}
	if o.MinShingles == 0 {
		o.MinShingles = DefaultMinShingles
	}
	return o
}

// Validate checks the deadline overrides and thresholds; the error names
// the site and organ type.
func (o Options) Validate() error {
	var errs []error
	for site, m := range o.Deadlines {
		for organ, d := range m {
			switch organ {
			case Department, Government, Township, Other:
			default:
				errs = append(errs, fmt.Errorf("%w: site %q: unknown organ type %q (want department, government, township or other)", ErrOptions, site, organ))
				continue
			}
			if d == "none" {
				continue
			}
			if _, err := parseMonthDay(d); err != nil {
				errs = append(errs, fmt.Errorf("%w: site %q: %s: %w", ErrOptions, site, organ, err))
			}
		}
	}
	if o.CopyThreshold < 0 || o.CopyThreshold > 1 {
		errs = append(errs, fmt.Errorf("%w: copy threshold %v is not between 0 and 1", ErrOptions, o.CopyThreshold))
	}
	if o.MinShingles < 0 {
		errs = append(errs, fmt.Errorf("%w: min shingles %d is negative", ErrOptions, o.MinShingles))
	}
	return errors.Join(errs...)
}

// Analyzer computes timeliness, completeness, indicators and signals. It
// holds only its options and is safe for concurrent use.
type Analyzer struct {
	opts Options
}

// New returns an Analyzer; zero option fields take their defaults.
func New(opts Options) *Analyzer { return &Analyzer{opts: opts.withDefaults()} }

// Result is everything the research layer says about one report.
type Result struct {
	Entry        *Entry
	Organ        Organ
	Timeliness   Timeliness
	Completeness Completeness
	Indicators   []Indicator
	Revisions    []Revision
	// Signals are the report's signals in SignalIDs order; empty when
	// nothing was found.
	Signals []Signal
}

// Has reports whether the result carries signal id.
func (r *Result) Has(id string) bool {
	for _, s := range r.Signals {
		if s.ID == id {
			return true
		}
	}
	return false
}

// Timeliness computes e's timeliness with the Analyzer's deadline rules.
func (a *Analyzer) Timeliness(e *Entry) Timeliness {
	return timeliness(e, e.organ().Type, a.opts.Deadlines[e.Site])
}

// Deadline returns the deadline for an organ of type organ on site for
// statistics year year (Deadline with the site's overrides).
func (a *Analyzer) Deadline(site string, year int, organ OrganType) (date, rule string) {
	return Deadline(year, organ, a.opts.Deadlines[site])
}

// Analyze computes a Result for every entry, in the order given. Each
// entry is compared with the entry of the same organ (Key) for the year
// before, when entries holds it and both are Identified (an unidentified
// report's name is its site's, shared by unrelated reports): pass one
// agency's reports together (the store's agency/year order gives them
// so), never the whole archive at once. sib, when not nil, supplies copy_sibling (see Siblings: all
// reports of the years concerned must have been added to it first).
// Entries without a Report are skipped.
func (a *Analyzer) Analyze(entries []*Entry, sib *Siblings) []Result {
	type yk struct {
		key  string
		year int
	}
	byYear := make(map[yk]*Entry, len(entries))
	for _, e := range entries {
		if e == nil || e.Report == nil {
			continue
		}
		k := yk{e.Key(), e.Year}
		if _, dup := byYear[k]; !dup {
			byYear[k] = e
		}
	}
	out := make([]Result, 0, len(entries))
	for _, e := range entries {
		if e == nil || e.Report == nil {
			continue
		}
		var prev *Entry
		if e.Identified {
			if p := byYear[yk{e.Key(), e.Year - 1}]; p != nil && p.Identified {
				prev = p
			}
		}
		out = append(out, a.analyze(e, prev, sib))
	}
	return out
}

func (a *Analyzer) analyze(e, prev *Entry, sib *Siblings) Result {
	res := Result{Entry: e, Organ: e.organ()}
	res.Timeliness = timeliness(e, res.Organ.Type, a.opts.Deadlines[e.Site])
	res.Completeness = completeness(e.Report, e.Year)
	var prevReport *parser.Report
	if prev != nil {
		prevReport = prev.Report
	}
	res.Indicators = Indicators(e.Report, prevReport)
	res.Revisions = revisions(e)

	t := res.Timeliness
	if t.Late {
		res.Signals = append(res.Signals, Signal{ID: SignalLate, Detail: lateDetail(t)})
	}
	res.Signals = append(res.Signals, dateSignals(e, t)...)
	res.Signals = append(res.Signals, completenessSignals(e.Report, e.Year, res.Completeness)...)
	if s, ok := copyPreviousYear(prev, e, a.opts.CopyThreshold, a.opts.MinShingles); ok {
		res.Signals = append(res.Signals, s)
	}
	if m, ok := sib.Match(e); ok {
		res.Signals = append(res.Signals, siblingSignal(m, a.opts.CopyThreshold))
	}
	if len(res.Revisions) > 0 {
		res.Signals = append(res.Signals, revisedSignal(e, res.Revisions))
	}
	if s, ok := checksSignal(e.Report, prevReport); ok {
		res.Signals = append(res.Signals, s)
	}
	return res
}
