package parser

import (
	"strconv"
	"strings"
)

// fixed is a decimal held exactly as an integer number of 1/10,000ths.
// Table 三 and 四 hold counts; a value with more than four decimals or
// beyond ±10^14 makes its identity unevaluable rather than inexact.
type fixed int64

const fixedScale = 10000

func parseFixed(s string) (fixed, bool) {
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
		if err != nil {
			return 0, false
		}
	}
	if strings.HasPrefix(intPart, "-") {
		return fixed(i*fixedScale - f), true
	}
	return fixed(i*fixedScale + f), true
}

func (x fixed) String() string {
	neg := x < 0
	if neg {
		x = -x
	}
	s := strconv.FormatInt(int64(x/fixedScale), 10)
	if f := int64(x % fixedScale); f != 0 {
		s += "." + strings.TrimRight(strconv.FormatInt(f+fixedScale, 10)[1:], "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// runChecks evaluates the identities R1–R4 of report-format.md on the
// printed numbers. An identity is evaluated only when every cell it needs is
// present; a blank cell makes it unevaluable, never zero. A cell covered by
// another row's rowspan counts as 0 (its value is counted on that row).
func runChecks(r *Report) {
	type key struct{ table, row, col string }
	idx := make(map[key]Cell, len(r.Cells))
	for _, c := range r.Cells {
		idx[key{c.Table, c.Row, c.Column}] = c
	}
	get := func(table, row, col string) (fixed, bool) {
		c, ok := idx[key{table, row, col}]
		if !ok {
			return 0, false
		}
		if c.MergedWith != "" {
			return 0, true
		}
		if c.Value == "" {
			return 0, false
		}
		return parseFixed(c.Value)
	}
	sum := func(table string, rows []string, cols ...string) (fixed, bool) {
		var s fixed
		for _, row := range rows {
			for _, col := range cols {
				v, ok := get(table, row, col)
				if !ok {
					return 0, false
				}
				s += v
			}
		}
		return s, true
	}
	check := func(rule, table, row, col, left, right string, lv, rv fixed) {
		r.Checked++
		if lv == rv {
			return
		}
		r.Failures = append(r.Failures, CheckFailure{
			Rule: rule, Table: table, Row: row, Column: col,
			Left: left, LeftValue: lv.String(), Right: right, RightValue: rv.String(), Diff: (lv - rv).String(),
		})
	}

	// Table 三's outcome rows, in whichever form the report printed （六）.
	outcomes := []string{"granted", "partial"}
	for _, spec := range t3Rows {
		switch {
		case strings.HasPrefix(spec.ID, "denied."), strings.HasPrefix(spec.ID, "unavailable."), strings.HasPrefix(spec.ID, "not_processed."):
			outcomes = append(outcomes, spec.ID)
		}
	}
	if _, ok := idx[key{"t3", "other", "total"}]; ok {
		outcomes = append(outcomes, "other")
	} else {
		outcomes = append(outcomes, "other.overdue_supplement", "other.overdue_fee", "other.other")
	}

	for _, col := range t3Columns {
		// R1: new_received + carried_over = total + carried_forward.
		l, ok1 := sum("t3", []string{"new_received", "carried_over"}, col)
		rt, ok2 := sum("t3", []string{"total", "carried_forward"}, col)
		if ok1 && ok2 {
			check("R1", "t3", "", col, "new_received+carried_over", "total+carried_forward", l, rt)
		}
		// R2: total = Σ outcomes.
		tot, ok1 := get("t3", "total", col)
		s, ok2 := sum("t3", outcomes, col)
		if ok1 && ok2 {
			check("R2", "t3", "", col, "total", "Σ outcomes (granted … other)", tot, s)
		}
	}
	// R3: per t3 row, total = the six applicant columns.
	for _, spec := range t3Rows {
		tot, ok1 := get("t3", spec.ID, "total")
		s, ok2 := sum("t3", []string{spec.ID}, t3Columns[:6]...)
		if ok1 && ok2 {
			check("R3", "t3", spec.ID, "", "total", strings.Join(t3Columns[:6], "+"), tot, s)
		}
	}
	// R4: per t4 row, total = upheld + corrected + other + pending.
	for _, spec := range t4Rows {
		tot, ok1 := get("t4", spec.ID, "total")
		s, ok2 := sum("t4", []string{spec.ID}, t4Columns[:4]...)
		if ok1 && ok2 {
			check("R4", "t4", spec.ID, "", strings.Join(t4Columns[:4], "+"), "total", s, tot)
		}
	}
}
