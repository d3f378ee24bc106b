package panel

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"nianbao/parser"
)

// Signal IDs: the export contract (issue 13). New ones may be added, none
// renamed.
const (
	SignalLate                 = "late"
	SignalDateMoved            = "date_moved"
	SignalDatedBeforeFirstSeen = "dated_before_first_seen"
	SignalMissingSections      = "missing_sections"
	SignalMissingTables        = "missing_tables"
	SignalTemplateMismatch     = "template_mismatch"
	SignalEmptySection5        = "empty_section5"
	SignalCopyPreviousYear     = "copy_previous_year"
	SignalCopySibling          = "copy_sibling"
	SignalRevised              = "revised"
	SignalChecksFailed         = "checks_failed"
)

// SignalIDs lists the signals in the order a report's signals are given.
var SignalIDs = []string{
	SignalLate, SignalDateMoved, SignalDatedBeforeFirstSeen,
	SignalMissingSections, SignalMissingTables, SignalTemplateMismatch, SignalEmptySection5,
	SignalCopyPreviousYear, SignalCopySibling, SignalRevised, SignalChecksFailed,
}

// Signal is one finding about a report, with its evidence in words and
// numbers.
type Signal struct {
	ID     string
	Detail string
	// Ref names the other report a copy signal pairs this one with; nil
	// for other signals.
	Ref *Ref
}

// Ref names another report: a copy's original or sibling.
type Ref struct {
	AgencyID  string
	Agency    string
	Site      string
	Year      int
	SourceURL string
	// Similarity is the measured prose similarity (0–1), also when the
	// signal rests on the tables; 0 when the prose could not be compared.
	Similarity float64
}

// Revision is one change of a report's numbers between two stored
// versions, made by a new capture (not by re-parsing the same one).
type Revision struct {
	From, To int       // version numbers
	At       time.Time // when version To was stored
	// Changes are the cells that differ (parser.Diff); nil when the
	// versions' reports were not loaded.
	Changes []parser.Change
}

// revisions returns the revisions among e's versions.
func revisions(e *Entry) []Revision {
	var out []Revision
	vs := e.Versions
	for k := 1; k < len(vs); k++ {
		a, b := vs[k-1], vs[k]
		if a.Digest != "" && a.Digest == b.Digest {
			continue
		}
		if sameSet(a.Captures, b.Captures) && len(a.Captures) > 0 && a.ParserVersion != b.ParserVersion {
			continue // re-parsed with newer rules: not the publisher's change
		}
		rv := Revision{From: a.N, To: b.N, At: b.StoredAt}
		if a.Report != nil && b.Report != nil {
			rv.Changes = parser.Diff(a.Report, b.Report)
		}
		out = append(out, rv)
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// maxListed is how many cells a revision's detail names before "… and N
// more".
const maxListed = 8

func revisedSignal(e *Entry, revs []Revision) Signal {
	var parts []string
	for _, rv := range revs {
		p := fmt.Sprintf("version %d stored %s replaced version %d", rv.To, rv.At.In(cst).Format("2006-01-02 15:04"), rv.From)
		switch {
		case rv.Changes == nil:
			p += ": cells not loaded"
		default:
			var cells []string
			for _, c := range rv.Changes {
				switch {
				case c.Comparable:
					cells = append(cells, fmt.Sprintf("%s %s→%s", c.ID(), orBlank(c.Old), orBlank(c.New)))
				case c.Old != "" || c.New != "":
					cells = append(cells, fmt.Sprintf("%s %s→%s (%s)", c.ID(), orBlank(c.Old), orBlank(c.New), c.Note))
				default:
					cells = append(cells, c.ID()+" ("+c.Note+")")
				}
			}
			n := len(cells)
			if n > maxListed {
				cells = append(cells[:maxListed], fmt.Sprintf("… and %d more", n-maxListed))
			}
			p += fmt.Sprintf(": %d cell", n)
			if n != 1 {
				p += "s"
			}
			p += " changed: " + strings.Join(cells, ", ")
		}
		parts = append(parts, p)
	}
	d := strings.Join(parts, "; ")
	if !e.FirstSeen.IsZero() {
		d = "first captured " + e.FirstSeen.In(cst).Format("2006-01-02 15:04") + "; " + d
	}
	return Signal{ID: SignalRevised, Detail: d}
}

func orBlank(s string) string {
	if s == "" {
		return "blank"
	}
	return s
}

// dateSignals returns date_moved and dated_before_first_seen.
func dateSignals(e *Entry, t Timeliness) []Signal {
	var out []Signal
	var moved []string
	// Dates printed by successive versions.
	last, lastN := "", 0
	for _, v := range e.Versions {
		p := v.published()
		if !validDate(p) {
			continue
		}
		if last != "" && p != last {
			moved = append(moved, fmt.Sprintf("version %d printed %s, version %d (stored %s) prints %s",
				lastN, last, v.N, v.StoredAt.In(cst).Format("2006-01-02"), p))
		}
		last, lastN = p, v.N
	}
	if c := claimOf(t); c != "" && !t.FirstSeen.IsZero() && c > day(t.FirstSeen) {
		moved = append(moved, fmt.Sprintf("the page is dated %s, later than our first capture of it on %s CST",
			c, t.FirstSeen.In(cst).Format("2006-01-02 15:04")))
	}
	if len(moved) > 0 {
		out = append(out, Signal{ID: SignalDateMoved, Detail: strings.Join(moved, "; ")})
	}
	if t.Basis == "crawl" {
		out = append(out, Signal{ID: SignalDatedBeforeFirstSeen, Detail: fmt.Sprintf(
			"dated %s, but our crawl of the site on %s CST did not find it; first captured %s CST",
			claimOf(t), t.PrevCrawl.In(cst).Format("2006-01-02 15:04"), t.FirstSeen.In(cst).Format("2006-01-02 15:04"))})
	}
	return out
}

// checksSignal returns checks_failed for r's failed R1–R4 checks and the
// failed cross-year checks against prev (parser.CrossYear), or false.
func checksSignal(r, prev *parser.Report) (Signal, bool) {
	var parts []string
	for _, f := range r.Failures {
		parts = append(parts, f.String())
	}
	for _, x := range parser.CrossYear(prev, r) {
		if !x.Holds {
			parts = append(parts, x.String())
		}
	}
	if len(parts) == 0 {
		return Signal{}, false
	}
	return Signal{ID: SignalChecksFailed, Detail: fmt.Sprintf("%d check%s failed: %s", len(parts), plural(len(parts)), strings.Join(parts, "; "))}, true
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
