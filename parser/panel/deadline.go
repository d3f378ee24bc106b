package panel

import (
	"fmt"
	"strings"
	"time"
)

// China Standard Time, in which every printed date and deadline is meant.
// A fixed zone: the package needs no time zone database.
var cst = time.FixedZone("CST", 8*3600)

// Deadline rules, cited in the README ("Research layer").
const (
	rule2007      = "条例 (2007) art. 31: every organ by 31 March of the following year"
	rule2019Dept  = "条例 (2019) art. 49: 县级以上人民政府的部门 by 31 January of the following year"
	rule2019Gov   = "条例 (2019) art. 49: 县级以上地方人民政府 by 31 March of the following year"
	ruleNoneLocal = "no statutory deadline for this organ type (乡镇/街道, 派出机构 and others: local notices set one; configure it per site)"
	ruleNoneEarly = "no deadline before statistics year 2008 (the 条例 took effect on 1 May 2008)"
)

// Deadline returns the date (YYYY-MM-DD) by which an organ of type organ
// had to publish its report for statistics year year, and the rule that
// sets it; date is "" when no deadline applies.
//
//   - years 2008–2018: 31 March of the next year for every organ (条例
//     2007 art. 31);
//   - from 2019: departments 31 January, governments 31 March (条例 2019
//     art. 49); townships and other organs: none.
//
// override, for years from 2019 only, replaces the rule per organ type:
// "MM-DD" of the following year (e.g. "01-28" where a city asks its
// departments for 28 January, "02-20" for towns whose county collects
// their reports by 20 February) or "none". An invalid override is ignored
// (Options.Validate reports it).
func Deadline(year int, organ OrganType, override map[OrganType]string) (date, rule string) {
	switch {
	case year < 2008:
		return "", ruleNoneEarly
	case year <= 2018:
		return fmt.Sprintf("%d-03-31", year+1), rule2007
	}
	if o, ok := override[organ]; ok {
		if o == "none" {
			return "", "no deadline for " + string(organ) + " (site configuration)"
		}
		if _, err := parseMonthDay(o); err == nil {
			return fmt.Sprintf("%d-%s", year+1, o), string(organ) + " by " + o + " of the following year (site configuration)"
		}
	}
	switch organ {
	case Department:
		return fmt.Sprintf("%d-01-31", year+1), rule2019Dept
	case Government:
		return fmt.Sprintf("%d-03-31", year+1), rule2019Gov
	}
	return "", ruleNoneLocal
}

// parseMonthDay checks an "MM-DD" override.
func parseMonthDay(s string) (time.Time, error) {
	t, err := time.Parse("01-02", s)
	if err != nil || len(s) != 5 {
		return time.Time{}, fmt.Errorf("deadline %q: want MM-DD or none", s)
	}
	return t, nil
}

// Timeliness is when a report appeared against its deadline.
type Timeliness struct {
	// Printed is the publication date the page prints (Report.Published),
	// Metadata the listing's or metadata's date (Entry.MetaPublished);
	// FirstSeen the archive's first capture and PrevCrawl the last crawl
	// of the site before it (zero when none).
	Printed   string
	Metadata  string
	FirstSeen time.Time
	PrevCrawl time.Time
	// Deadline is the date due (YYYY-MM-DD), "" when none applies, and
	// DeadlineRule the rule that set it (or says why there is none).
	Deadline     string
	DeadlineRule string
	// Published is the publication date the analysis settles on, and
	// Basis which evidence gave it:
	//
	//   - "printed" or "metadata": the page's claim, when nothing
	//     contradicts it;
	//   - "crawl": the claim is earlier than a crawl of the site that did
	//     not find the report (dated_before_first_seen), so it appeared
	//     after that crawl: Published is that crawl's date, a lower bound;
	//   - "first_seen": no claim, or a claim later than our own first
	//     capture (date_moved): Published is the first capture's date, an
	//     upper bound. Without a claim it is used only when it proves the
	//     report on time or the site was watched before (PrevCrawl).
	//
	// Both are "" when no date is known.
	Published string
	Basis     string
	// DaysLate is Published − Deadline in days (negative: early); zero
	// and meaningless unless both are set. Late is DaysLate > 0: a report
	// published on the deadline day is on time.
	DaysLate int
	Late     bool
}

// day returns t's calendar date in China as YYYY-MM-DD.
func day(t time.Time) string { return t.In(cst).Format("2006-01-02") }

// days returns b − a in days for two YYYY-MM-DD dates.
func days(a, b string) int {
	ta, err1 := time.Parse("2006-01-02", a)
	tb, err2 := time.Parse("2006-01-02", b)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(tb.Sub(ta).Hours() / 24)
}

// validDate reports whether s is a YYYY-MM-DD date.
func validDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// timeliness computes e's Timeliness under the deadline overrides of its
// site.
func timeliness(e *Entry, organ OrganType, override map[OrganType]string) Timeliness {
	t := Timeliness{Metadata: e.MetaPublished, FirstSeen: e.FirstSeen, PrevCrawl: e.PrevCrawl}
	if e.Report != nil {
		t.Printed = e.Report.Published
	}
	t.Deadline, t.DeadlineRule = Deadline(e.Year, organ, override)

	claim, basis := "", ""
	switch {
	case validDate(t.Printed):
		claim, basis = t.Printed, "printed"
	case validDate(t.Metadata):
		claim, basis = t.Metadata, "metadata"
	}
	seen, prev := "", ""
	if !e.FirstSeen.IsZero() {
		seen = day(e.FirstSeen)
	}
	if !e.PrevCrawl.IsZero() && (e.FirstSeen.IsZero() || e.PrevCrawl.Before(e.FirstSeen)) {
		prev = day(e.PrevCrawl)
	}
	switch {
	case claim != "" && prev != "" && claim < prev:
		// Dated before a crawl that did not find it.
		t.Published, t.Basis = prev, "crawl"
	case claim != "" && seen != "" && claim > seen:
		// Dated after we already had it: the date moved.
		t.Published, t.Basis = seen, "first_seen"
	case claim != "":
		t.Published, t.Basis = claim, basis
	case seen != "" && (prev != "" || t.Deadline != "" && seen <= t.Deadline):
		t.Published, t.Basis = seen, "first_seen"
	}
	if t.Deadline != "" && t.Published != "" {
		t.DaysLate = days(t.Deadline, t.Published)
		t.Late = t.DaysLate > 0
	}
	return t
}

// lateDetail says in words why a report is late.
func lateDetail(t Timeliness) string {
	var b strings.Builder
	fmt.Fprintf(&b, "published %s, %d day", t.Published, t.DaysLate)
	if t.DaysLate != 1 {
		b.WriteString("s")
	}
	fmt.Fprintf(&b, " after the deadline %s (%s)", t.Deadline, t.DeadlineRule)
	switch t.Basis {
	case "printed":
		b.WriteString("; date as printed on the page")
	case "metadata":
		b.WriteString("; date from the listing or page metadata")
	case "crawl":
		fmt.Fprintf(&b, "; the page is dated %s but was not on the site at our crawl of %s (a lower bound); first seen %s",
			claimOf(t), t.PrevCrawl.In(cst).Format("2006-01-02 15:04"), t.FirstSeen.In(cst).Format("2006-01-02 15:04"))
	case "first_seen":
		fmt.Fprintf(&b, "; our first capture, %s CST (an upper bound)", t.FirstSeen.In(cst).Format("2006-01-02 15:04"))
		if c := claimOf(t); c != "" {
			fmt.Fprintf(&b, "; the page now prints %s", c)
		}
	}
	return b.String()
}

// claimOf returns the date the page claims.
func claimOf(t Timeliness) string {
	if validDate(t.Printed) {
		return t.Printed
	}
	if validDate(t.Metadata) {
		return t.Metadata
	}
	return ""
}
