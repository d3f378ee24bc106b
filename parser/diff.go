package parser

import (
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Change is one cell compared between two reports of the same agency: two
// years (Diff) or two versions of one report.
//
// Comparable cells are reported only when their values differ. Old and New
// are canonical decimals, empty when the cell is blank. Abs is New − Old,
// exact; Pct is Abs / |Old| × 100 rounded to one decimal (halves away from
// zero). Both are empty when either value is blank, and Pct also when Old
// is 0.
//
// A cell that has no counterpart of the same meaning in the other report
// has Comparable false, Old or New set to its value (the side it comes
// from), and Note saying why.
type Change struct {
	Table      string `json:"table"`
	Row        string `json:"row"`
	Column     string `json:"column"`
	Old        string `json:"old"`
	New        string `json:"new"`
	Abs        string `json:"change"`
	Pct        string `json:"pct"`
	Comparable bool   `json:"comparable"`
	// Note explains an aligned or non-comparable cell, e.g. "2021:
	// other.overdue_supplement + other.overdue_fee + other.other" or
	// "only in the 2019 format".
	Note string `json:"note,omitempty"`
}

// ID returns the change's dotted cell identifier, e.g. "t3.total.total".
func (c Change) ID() string { return c.Table + "." + c.Row + "." + c.Column }

// t3OtherSubRows are the 2021 template's three （六）其他处理 rows, which
// together mean what the 2019 template's single "other" row means.
var t3OtherSubRows = []string{"other.overdue_supplement", "other.overdue_fee", "other.other"}

func isT3Other(row string) bool { return row == "other" || strings.HasPrefix(row, "other.") }

// sameMeaning says whether cell table/row/column means the same thing in a
// report of format a and one of format b. Tables 三 and 四 are shared by both
// templates (table 三's other rows are aligned separately); of table 二 only
// the decision counts of 行政许可, 行政处罚 and 行政强制 keep their meaning.
func sameMeaning(table, row, column string, a, b Format) bool {
	switch table {
	case TableRequests, TableAppeals:
		return true
	case TableActive:
		if a == b {
			return true
		}
		return column == "decisions" && (row == "licensing" || row == "penalty" || row == "coercion")
	}
	return false
}

// cellSide indexes one report's cells for comparison.
type cellSide struct {
	r      *Report
	cells  map[string]Cell // by ID
	merged map[string]bool // IDs of rowspan continuations and their anchors
}

func newCellSide(r *Report) *cellSide {
	s := &cellSide{r: r, cells: make(map[string]Cell, len(r.Cells)), merged: map[string]bool{}}
	for _, c := range r.Cells {
		s.cells[c.ID()] = c
		if c.MergedWith != "" {
			s.merged[c.ID()] = true
			s.merged[c.Table+"."+c.MergedWith+"."+c.Column] = true
		}
	}
	return s
}

// otherTotal returns the side's （六）其他处理 total for column col: the
// single "other" row when printed, else the sum of the other.* rows (a
// rowspan continuation adds nothing: its value is counted on its anchor).
// ok is false when the side prints none of those rows; the value is empty
// when every printed one is blank.
func (s *cellSide) otherTotal(col string) (value, note string, ok bool) {
	if c, has := s.cells[TableRequests+".other."+col]; has && c.MergedWith == "" {
		return c.Value, "", true
	}
	var sum *big.Rat
	scale := 0
	var parts []string
	for _, row := range t3OtherSubRows {
		c, has := s.cells[TableRequests+"."+row+"."+col]
		if !has {
			continue
		}
		ok = true
		parts = append(parts, row)
		if c.MergedWith != "" || c.Value == "" {
			continue
		}
		v, good := new(big.Rat).SetString(c.Value)
		if !good {
			continue
		}
		if sum == nil {
			sum = new(big.Rat)
		}
		sum.Add(sum, v)
		scale = max(scale, decimalScale(c.Value))
	}
	if !ok {
		return "", "", false
	}
	if sum != nil {
		value = formatRat(sum, scale)
	}
	return value, strings.Join(parts, " + "), true
}

// Diff compares cur with prev cell by cell, by canonical ID, and returns
// the cells whose values differ (Comparable) followed by the cells that
// have no counterpart of the same meaning (not Comparable), each group in
// template order. It is symmetric in what it compares and pure: the
// reports are not modified.
//
// Reports of the 2019 and 2021 formats are aligned: table 三 rows and
// columns and table 四 are compared; of table 二 only the decision counts
// of licensing, penalty and coercion. Table 三's （六）其他处理 is compared
// row by row when both reports print the same other rows without rowspan
// merges, else as one total per column (Row "other"): the single "other"
// row where printed, the sum of the three other.* rows otherwise. Other
// cells involved in a rowspan merge, cells one report does not print, and
// cells of a different meaning are listed as not comparable.
//
// Diff returns nil when either report is nil.
func Diff(prev, cur *Report) []Change {
	if prev == nil || cur == nil {
		return nil
	}
	p, c := newCellSide(prev), newCellSide(cur)
	consumed := map[string]bool{} // "p:"+ID or "c:"+ID
	var out []Change

	// （六）其他处理, per column: row by row when both sides print the same
	// rows unmerged, else totals.
	otherByTotal := map[string]bool{}
	for _, col := range t3Columns {
		if !c.otherRowsMatch(p, col) {
			otherByTotal[col] = true
		}
	}

	ids := unionIDs(prev, cur)
	for _, id := range ids {
		pc, inP := p.cells[id]
		cc, inC := c.cells[id]
		if !inP || !inC {
			continue
		}
		if pc.Table == TableRequests && isT3Other(pc.Row) && otherByTotal[pc.Column] {
			continue
		}
		if p.merged[id] || c.merged[id] {
			continue
		}
		if !sameMeaning(pc.Table, pc.Row, pc.Column, prev.Format, cur.Format) {
			continue
		}
		consumed["p:"+id], consumed["c:"+id] = true, true
		if ch, changed := compareValues(pc.Table, pc.Row, pc.Column, pc.Value, cc.Value); changed {
			out = append(out, ch)
		}
	}

	for _, col := range t3Columns {
		if !otherByTotal[col] {
			continue
		}
		pv, pNote, pOK := p.otherTotal(col)
		cv, cNote, cOK := c.otherTotal(col)
		if !pOK || !cOK {
			continue
		}
		for _, s := range []struct {
			tag  string
			side *cellSide
		}{{"p:", p}, {"c:", c}} {
			for _, row := range append([]string{"other"}, t3OtherSubRows...) {
				if _, has := s.side.cells[TableRequests+"."+row+"."+col]; has {
					consumed[s.tag+TableRequests+"."+row+"."+col] = true
				}
			}
		}
		if ch, changed := compareValues(TableRequests, "other", col, pv, cv); changed {
			var notes []string
			if pNote != "" {
				notes = append(notes, yearLabel(prev)+": "+pNote)
			}
			if cNote != "" {
				notes = append(notes, yearLabel(cur)+": "+cNote)
			}
			ch.Note = strings.Join(notes, "; ")
			out = append(out, ch)
		}
	}
	sortChanges(out)

	var rest []Change
	for _, id := range ids {
		for _, s := range []struct {
			tag         string
			side, other *cellSide
			old         bool
		}{{"p:", p, c, true}, {"c:", c, p, false}} {
			cell, has := s.side.cells[id]
			if !has || consumed[s.tag+id] {
				continue
			}
			ch := Change{Table: cell.Table, Row: cell.Row, Column: cell.Column,
				Note: notComparableNote(cell, s.side, s.other)}
			if s.old {
				ch.Old = cell.Value
			} else {
				ch.New = cell.Value
			}
			rest = append(rest, ch)
		}
	}
	sortChanges(rest)
	return append(out, rest...)
}

// otherRowsMatch reports whether both sides print exactly the same
// （六）其他处理 rows in column col, none of them part of a rowspan merge.
func (s *cellSide) otherRowsMatch(o *cellSide, col string) bool {
	for _, row := range append([]string{"other"}, t3OtherSubRows...) {
		id := TableRequests + "." + row + "." + col
		_, inS := s.cells[id]
		_, inO := o.cells[id]
		if inS != inO || s.merged[id] || o.merged[id] {
			return false
		}
	}
	return true
}

// notComparableNote says why cell (of side s) has no counterpart in o.
func notComparableNote(cell Cell, s, o *cellSide) string {
	id := cell.ID()
	switch {
	case cell.MergedWith != "":
		return "rowspan in the " + yearLabel(s.r) + " report: value printed on row " + cell.MergedWith
	case s.merged[id]:
		return "rowspan in the " + yearLabel(s.r) + " report: value printed once for several rows"
	case o.merged[id]:
		return "rowspan in the " + yearLabel(o.r) + " report"
	}
	if _, has := o.cells[id]; has {
		return "different meaning in the " + string(s.r.Format) + " and " + string(o.r.Format) + " formats"
	}
	if cell.Table == TableRequests && isT3Other(cell.Row) {
		return "the " + yearLabel(o.r) + " report prints no （六）其他处理 rows"
	}
	if inFormat(cell, o.r.Format) {
		return "not printed in the " + yearLabel(o.r) + " report"
	}
	if o.r.Format != Format2019 && o.r.Format != Format2021 {
		return "the " + yearLabel(o.r) + " report has no standard tables (format " + string(o.r.Format) + ")"
	}
	return "only in the " + string(s.r.Format) + " format"
}

// inFormat reports whether format f's template has cell's row and column.
func inFormat(cell Cell, f Format) bool {
	for _, r := range Rows(cell.Table, f) {
		if r.ID != cell.Row {
			continue
		}
		for _, c := range r.Columns {
			if c == cell.Column {
				return true
			}
		}
	}
	return false
}

func yearLabel(r *Report) string {
	if r.Year == 0 {
		return "undated"
	}
	return strconv.Itoa(r.Year)
}

// CellIDs returns the canonical IDs ("t3.new_received.total") of every
// cell of the 2019 and 2021 templates, each once, in template order: table
// by table, the 2021 template's rows and columns with the 2019 template's
// own ones merged in where the 2019 template puts them (other_services
// after licensing, the single t3 "other" row before the other.* rows, the
// 2019 columns of t2 rules after the 2021 ones). Wide exports use it as
// their column list; Diff orders its changes by it.
func CellIDs() []string {
	var ids []string
	for _, t := range Tables {
		var rows []string
		cols := map[string][]string{}
		for _, f := range []Format{Format2021, Format2019} {
			var fr []string
			for _, spec := range Rows(t, f) {
				fr = append(fr, spec.ID)
				cols[spec.ID] = mergeOrdered(cols[spec.ID], spec.Columns)
			}
			rows = mergeOrdered(rows, fr)
		}
		for _, r := range rows {
			for _, c := range cols[r] {
				ids = append(ids, t+"."+r+"."+c)
			}
		}
	}
	return ids
}

// mergeOrdered returns a copy of a with the items of b it lacks: each goes
// after the item that precedes it in b, or, when no earlier item of b is
// in a, before the first later item of b that is, or else at the end.
func mergeOrdered(a, b []string) []string {
	a = append([]string(nil), a...)
	after := -1 // index in a of the last item of b placed
	for k, s := range b {
		if i := indexOf(a, s); i >= 0 {
			after = i
			continue
		}
		i := after + 1
		if after < 0 {
			i = len(a)
			for _, later := range b[k+1:] {
				if j := indexOf(a, later); j >= 0 {
					i = j
					break
				}
			}
		}
		a = append(a[:i], append([]string{s}, a[i:]...)...)
		after = i
	}
	return a
}

func indexOf(a []string, s string) int {
	for i, x := range a {
		if x == s {
			return i
		}
	}
	return -1
}

// unionIDs lists the cell IDs of both reports in template order.
func unionIDs(a, b *Report) []string {
	rank := idRank()
	seen := make(map[string]bool, len(a.Cells)+len(b.Cells))
	var ids []string
	for _, r := range []*Report{a, b} {
		for _, c := range r.Cells {
			if id := c.ID(); !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	sort.SliceStable(ids, func(i, j int) bool { return idLess(rank, ids[i], ids[j]) })
	return ids
}

// idRank maps each canonical ID to its position in CellIDs.
func idRank() map[string]int {
	ids := CellIDs()
	rank := make(map[string]int, len(ids))
	for i, id := range ids {
		rank[id] = i
	}
	return rank
}

// idLess orders IDs by template position; unknown IDs go last, by name.
func idLess(rank map[string]int, a, b string) bool {
	ra, oka := rank[a]
	rb, okb := rank[b]
	switch {
	case oka && okb:
		return ra < rb
	case oka != okb:
		return oka
	}
	return a < b
}

func sortChanges(cs []Change) {
	rank := idRank()
	sort.SliceStable(cs, func(i, j int) bool { return idLess(rank, cs[i].ID(), cs[j].ID()) })
}

// compareValues builds the Change of one comparable cell and reports
// whether old and new differ. Two blanks are equal; a blank and a number
// differ; numbers are compared exactly ("5" equals "5.0"). An unparsable
// value is compared as text.
func compareValues(table, row, column, old, cur string) (Change, bool) {
	ch := Change{Table: table, Row: row, Column: column, Old: old, New: cur, Comparable: true}
	if old == "" || cur == "" {
		return ch, old != cur
	}
	o, ok1 := new(big.Rat).SetString(old)
	n, ok2 := new(big.Rat).SetString(cur)
	if !ok1 || !ok2 {
		return ch, old != cur
	}
	if o.Cmp(n) == 0 {
		return ch, false
	}
	d := new(big.Rat).Sub(n, o)
	ch.Abs = formatRat(d, max(decimalScale(old), decimalScale(cur)))
	if o.Sign() != 0 {
		q := new(big.Rat).Quo(d, new(big.Rat).Abs(o))
		q.Mul(q, big.NewRat(100, 1))
		ch.Pct = q.FloatString(1)
		if ch.Pct == "-0.0" {
			ch.Pct = "0.0"
		}
	}
	return ch, true
}

// decimalScale returns the number of digits after the decimal point of a
// canonical decimal string.
func decimalScale(s string) int {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// formatRat renders r, whose exact value has at most scale decimals, as a
// canonical decimal: no trailing zeros after the point, no "-0".
func formatRat(r *big.Rat, scale int) string {
	s := r.FloatString(scale)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// CrossCheck is one evaluated cross-year identity between an agency's
// reports for consecutive years Y−1 and Y (report-format.md, "soft"
// checks: real reports break them, e.g. when a later year restates the
// carried-over requests):
//
//   - Y1, per table 三 column: carried_over(Y) = carried_forward(Y−1);
//   - Y2, for t2 rules and normative_docs (both reports in the 2021
//     format): in_force(Y) = in_force(Y−1) + issued(Y) − repealed(Y).
//
// Left/LeftValue are the checked cell of year Y; Right/RightValue the
// expression it should equal, with Terms its operands as printed
// ("5 + 3 − 0"). Diff is LeftValue − RightValue.
type CrossCheck struct {
	Rule       string `json:"rule"`
	Table      string `json:"table"`
	Row        string `json:"row"`
	Column     string `json:"column"`
	Left       string `json:"left"`
	LeftValue  string `json:"left_value"`
	Right      string `json:"right"`
	Terms      string `json:"terms"`
	RightValue string `json:"right_value"`
	Diff       string `json:"diff"`
	Holds      bool   `json:"holds"`
}

// String renders the check on one line, e.g. "Y2 t2 normative_docs
// in_force: in_force(2024) = 8; in_force(2023) + issued(2024) −
// repealed(2024) = 5 + 3 − 0 = 8: holds".
func (x CrossCheck) String() string {
	s := x.Rule + " " + x.Table + " " + x.Row + " " + x.Column + ": " + x.Left + " = " + x.LeftValue + "; " + x.Right + " = "
	if x.Terms != x.RightValue {
		s += x.Terms + " = "
	}
	s += x.RightValue + ": "
	if x.Holds {
		return s + "holds"
	}
	return s + "fails (diff " + x.Diff + ")"
}

// CrossYear evaluates the cross-year identities Y1 and Y2 (see CrossCheck)
// between prev, the report for year Y−1, and cur, the report for year Y,
// and returns every identity that could be evaluated, holding or not, in
// template order. An identity is skipped when a cell it needs is absent,
// blank, non-numeric or part of a rowspan merge. CrossYear returns nil when
// either report is nil or their years are not consecutive.
func CrossYear(prev, cur *Report) []CrossCheck {
	if prev == nil || cur == nil || prev.Year == 0 || cur.Year != prev.Year+1 {
		return nil
	}
	p, c := newCellSide(prev), newCellSide(cur)
	py, cy := strconv.Itoa(prev.Year), strconv.Itoa(cur.Year)
	var out []CrossCheck

	if prev.Format == Format2021 && cur.Format == Format2021 {
		for _, row := range []string{"rules", "normative_docs"} {
			in, ok1 := c.number(TableActive, row, "in_force")
			before, ok2 := p.number(TableActive, row, "in_force")
			issued, ok3 := c.number(TableActive, row, "issued")
			repealed, ok4 := c.number(TableActive, row, "repealed")
			if !ok1 || !ok2 || !ok3 || !ok4 {
				continue
			}
			right := new(big.Rat).Add(before.r, issued.r)
			right.Sub(right, repealed.r)
			scale := max(before.scale, issued.scale, repealed.scale)
			out = append(out, crossCheck("Y2", TableActive, row, "in_force",
				"in_force("+cy+")", in,
				"in_force("+py+") + issued("+cy+") − repealed("+cy+")",
				before.s+" + "+issued.s+" − "+repealed.s, right, scale))
		}
	}
	for _, col := range t3Columns {
		over, ok1 := c.number(TableRequests, "carried_over", col)
		fwd, ok2 := p.number(TableRequests, "carried_forward", col)
		if !ok1 || !ok2 {
			continue
		}
		out = append(out, crossCheck("Y1", TableRequests, "carried_over", col,
			"carried_over("+cy+")", over, "carried_forward("+py+")", fwd.s, fwd.r, fwd.scale))
	}
	return out
}

type number struct {
	s     string
	r     *big.Rat
	scale int
}

// number returns a printed, unmerged, numeric cell's value.
func (s *cellSide) number(table, row, col string) (number, bool) {
	id := table + "." + row + "." + col
	c, ok := s.cells[id]
	if !ok || c.Value == "" || s.merged[id] {
		return number{}, false
	}
	r, ok := new(big.Rat).SetString(c.Value)
	if !ok {
		return number{}, false
	}
	return number{c.Value, r, decimalScale(c.Value)}, true
}

func crossCheck(rule, table, row, col, left string, lv number, right, terms string, rv *big.Rat, rscale int) CrossCheck {
	scale := max(lv.scale, rscale)
	d := new(big.Rat).Sub(lv.r, rv)
	return CrossCheck{
		Rule: rule, Table: table, Row: row, Column: col,
		Left: left, LeftValue: lv.s, Right: right, Terms: terms,
		RightValue: formatRat(rv, rscale), Diff: formatRat(d, scale), Holds: d.Sign() == 0,
	}
}

// SplitComparable separates the changes of Diff that compare like with
// like from the cells that cannot be compared (Change.Comparable false),
// keeping the order of each. Neither result is nil.
func SplitComparable(all []Change) (comparable, notComparable []Change) {
	comparable, notComparable = []Change{}, []Change{}
	for _, c := range all {
		if c.Comparable {
			comparable = append(comparable, c)
		} else {
			notComparable = append(notComparable, c)
		}
	}
	return comparable, notComparable
}
