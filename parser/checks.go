package parser

import (
	"math/big"
	"strings"
)

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
	get := func(table, row, col string) (*big.Rat, bool) {
		c, ok := idx[key{table, row, col}]
		if !ok {
			return nil, false
		}
		if c.MergedWith != "" {
			return new(big.Rat), true
		}
		if c.Value == "" {
			return nil, false
		}
		v, ok := new(big.Rat).SetString(c.Value)
		return v, ok
	}
	sum := func(table string, rows []string, col string) (*big.Rat, bool) {
		s := new(big.Rat)
		for _, row := range rows {
			v, ok := get(table, row, col)
			if !ok {
				return nil, false
			}
			s.Add(s, v)
		}
		return s, true
	}
	check := func(rule, table, row, col string, left []string, right []string, lv, rv *big.Rat) {
		r.Checked++
		if lv.Cmp(rv) == 0 {
			return
		}
		r.Failures = append(r.Failures, CheckFailure{
			Rule: rule, Table: table, Row: row, Column: col,
			Left: strings.Join(left, "+"), LeftValue: ratString(lv),
			Right: strings.Join(right, "+"), RightValue: ratString(rv),
			Diff: ratString(new(big.Rat).Sub(lv, rv)),
		})
	}

	// Table 三's outcome rows, in whichever form the report printed (六).
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
			check("R1", "t3", "", col, []string{"new_received", "carried_over"}, []string{"total", "carried_forward"}, l, rt)
		}
		// R2: total = Σ outcomes.
		tot, ok1 := get("t3", "total", col)
		s, ok2 := sum("t3", outcomes, col)
		if ok1 && ok2 {
			check("R2", "t3", "", col, []string{"total"}, []string{"Σ outcomes (granted … other)"}, tot, s)
		}
	}
	// R3: per t3 row, total = the six applicant columns.
	for _, spec := range t3Rows {
		tot, ok1 := get("t3", spec.ID, "total")
		s, ok2 := sum("t3", []string{spec.ID}, "natural_person")
		if !ok1 || !ok2 {
			continue
		}
		ok := true
		for _, col := range t3Columns[1:6] {
			v, k := get("t3", spec.ID, col)
			if !k {
				ok = false
				break
			}
			s.Add(s, v)
		}
		if ok {
			check("R3", "t3", spec.ID, "", []string{"total"}, []string{strings.Join(t3Columns[:6], "+")}, tot, s)
		}
	}
	// R4: per t4 row, total = upheld + corrected + other + pending.
	for _, spec := range t4Rows {
		tot, ok1 := get("t4", spec.ID, "total")
		s := new(big.Rat)
		ok := ok1
		for _, col := range t4Columns[:4] {
			v, k := get("t4", spec.ID, col)
			if !k {
				ok = false
				break
			}
			s.Add(s, v)
		}
		if ok {
			check("R4", "t4", spec.ID, "", []string{strings.Join(t4Columns[:4], "+")}, []string{"total"}, s, tot)
		}
	}
}

// ratString renders an exact decimal without trailing zeros.
func ratString(x *big.Rat) string {
	if x.IsInt() {
		return x.Num().String()
	}
	s := x.FloatString(6)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
