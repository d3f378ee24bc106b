package parser

import (
	"strconv"
	"strings"
)

// Decimal is a cell value held exactly as an integer number of
// 1/10,000ths, so that sums of canonical decimals ("10", "7730.28", "-3")
// are exact. Tables 三 and 四 hold counts; a value with more than four
// decimals or beyond ±10^14 is not representable, which makes a check or
// an indicator that needs it unevaluable rather than inexact.
type Decimal int64

// DecimalScale is the number of Decimal units in 1.
const DecimalScale = 10000

// ParseDecimal parses a canonical decimal (Cell.Value); false when s is
// not one or is not representable.
func ParseDecimal(s string) (Decimal, bool) {
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) > 4 || len(strings.TrimLeft(intPart, "+-")) > 14 {
		return 0, false
	}
	i, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, false
	}
	f := int64(0)
	if frac != "" {
		f, err = strconv.ParseInt((frac + "0000")[:4], 10, 64)
		if err != nil || f < 0 || strings.ContainsAny(frac, "+-") {
			return 0, false
		}
	}
	if strings.HasPrefix(intPart, "-") {
		return Decimal(i*DecimalScale - f), true
	}
	return Decimal(i*DecimalScale + f), true
}

// String formats x as a canonical decimal (no trailing zeros).
func (x Decimal) String() string {
	neg := x < 0
	if neg {
		x = -x
	}
	s := strconv.FormatInt(int64(x/DecimalScale), 10)
	if f := int64(x % DecimalScale); f != 0 {
		s += "." + strings.TrimRight(strconv.FormatInt(f+DecimalScale, 10)[1:], "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Row and column positions of tables 三 and 四, for runChecks.
var (
	t3RowIndex = positions(len(t3Rows), func(i int) string { return t3Rows[i].ID })
	t3ColIndex = positions(len(t3Columns), func(i int) string { return t3Columns[i] })
	t4RowIndex = positions(len(t4Rows), func(i int) string { return t4Rows[i].ID })
	t4ColIndex = positions(len(t4Columns), func(i int) string { return t4Columns[i] })
)

func positions(n int, id func(int) string) map[string]int {
	m := make(map[string]int, n)
	for i := 0; i < n; i++ {
		m[id(i)] = i
	}
	return m
}

// checkCell is a cell's number for the checks: ok when it can be summed
// (a value, or a rowspan continuation counted as 0), present when printed.
type checkCell struct {
	v           Decimal
	ok, present bool
}

// runChecks evaluates the identities R1–R4 of report-format.md on the
// printed numbers. An identity is evaluated only when every cell it needs is
// present; a blank cell makes it unevaluable, never zero. A cell covered by
// another row's rowspan counts as 0 (its value is counted on that row).
func runChecks(r *Report) {
	t3 := make([][7]checkCell, len(t3Rows))
	var t4 [3][5]checkCell
	for _, c := range r.Cells {
		var cc *checkCell
		switch c.Table {
		case TableRequests:
			ri, ok1 := t3RowIndex[c.Row]
			ci, ok2 := t3ColIndex[c.Column]
			if !ok1 || !ok2 {
				continue
			}
			cc = &t3[ri][ci]
		case TableAppeals:
			ri, ok1 := t4RowIndex[c.Row]
			ci, ok2 := t4ColIndex[c.Column]
			if !ok1 || !ok2 {
				continue
			}
			cc = &t4[ri][ci]
		default:
			continue
		}
		cc.present = true
		switch {
		case c.MergedWith != "":
			cc.ok = true
		case c.Value != "":
			cc.v, cc.ok = ParseDecimal(c.Value)
		}
	}
	check := func(rule, table, row, col, left, right string, lv, rv Decimal) {
		r.Checked++
		if lv == rv {
			return
		}
		r.Failures = append(r.Failures, CheckFailure{
			Rule: rule, Table: table, Row: row, Column: col,
			Left: left, LeftValue: lv.String(), Right: right, RightValue: rv.String(), Diff: (lv - rv).String(),
		})
	}
	// sum3 adds column ci of the given t3 rows.
	sum3 := func(rows []int, ci int) (Decimal, bool) {
		var s Decimal
		for _, ri := range rows {
			c := t3[ri][ci]
			if !c.ok {
				return 0, false
			}
			s += c.v
		}
		return s, true
	}
	row := func(id string) int { return t3RowIndex[id] }

	// Table 三's outcome rows, in whichever form the report printed （六）.
	outcomes := []int{row("granted"), row("partial")}
	for i, spec := range t3Rows {
		switch {
		case strings.HasPrefix(spec.ID, "denied."), strings.HasPrefix(spec.ID, "unavailable."), strings.HasPrefix(spec.ID, "not_processed."):
			outcomes = append(outcomes, i)
		}
	}
	if t3[row("other")][6].present {
		outcomes = append(outcomes, row("other"))
	} else {
		outcomes = append(outcomes, row("other.overdue_supplement"), row("other.overdue_fee"), row("other.other"))
	}
	in := []int{row("new_received"), row("carried_over")}
	out := []int{row("total"), row("carried_forward")}
	total := row("total")
	for ci, col := range t3Columns {
		// R1: new_received + carried_over = total + carried_forward.
		l, ok1 := sum3(in, ci)
		rt, ok2 := sum3(out, ci)
		if ok1 && ok2 {
			check("R1", "t3", "", col, "new_received+carried_over", "total+carried_forward", l, rt)
		}
		// R2: total = Σ outcomes.
		s, ok := sum3(outcomes, ci)
		if t3[total][ci].ok && ok {
			check("R2", "t3", "", col, "total", "Σ outcomes (granted … other)", t3[total][ci].v, s)
		}
	}
	// R3: per t3 row, total = the six applicant columns.
	for ri, spec := range t3Rows {
		var s Decimal
		ok := t3[ri][6].ok
		for ci := 0; ci < 6 && ok; ci++ {
			ok = t3[ri][ci].ok
			s += t3[ri][ci].v
		}
		if ok {
			check("R3", "t3", spec.ID, "", "total", strings.Join(t3Columns[:6], "+"), t3[ri][6].v, s)
		}
	}
	// R4: per t4 row, total = upheld + corrected + other + pending.
	for ri, spec := range t4Rows {
		var s Decimal
		ok := t4[ri][4].ok
		for ci := 0; ci < 4 && ok; ci++ {
			ok = t4[ri][ci].ok
			s += t4[ri][ci].v
		}
		if ok {
			check("R4", "t4", spec.ID, "", strings.Join(t4Columns[:4], "+"), "total", s, t4[ri][4].v)
		}
	}
}
