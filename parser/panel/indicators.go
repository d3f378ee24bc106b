package panel

import (
	"fmt"
	"strconv"
	"strings"

	"nianbao/parser"
)

// Spec documents one indicator of the dictionary: its ID (the export
// contract of research.md: new ones may be added, none renamed), its name,
// its formula over canonical cells and the name of its denominator ("" for
// a count).
type Spec struct {
	ID          string
	Name        string
	Formula     string
	Denominator string
}

// Dictionary lists every indicator in export order. Group sums use table
// 三's total column: denied = the eight denied.* rows, unavailable = the
// three unavailable.* rows, not_processed = the five not_processed.* rows,
// other = the single 2019 row "other" or the three 2021 other.* rows
// (whichever the report printed).
var Dictionary = []Spec{
	{"received", "本年新收申请", "t3.new_received.total", ""},
	{"caseload", "受理总量", "t3.new_received.total + t3.carried_over.total", ""},
	{"closed", "办结 ((七)总计)", "t3.total.total", ""},
	{"disclosure_rate.closed", "公开率 (÷ 办结)", "(t3.granted.total + t3.partial.total) ÷ closed", "closed"},
	{"disclosure_rate.caseload", "公开率 (÷ 受理总量)", "(t3.granted.total + t3.partial.total) ÷ caseload", "caseload"},
	{"full_disclosure_rate", "予以公开率", "t3.granted.total ÷ closed", "closed"},
	{"denied_rate", "不予公开率", "Σ t3.denied.*.total ÷ closed", "closed"},
	{"unavailable_rate", "无法提供率", "Σ t3.unavailable.*.total ÷ closed", "closed"},
	{"not_processed_rate", "不予处理率", "Σ t3.not_processed.*.total ÷ closed", "closed"},
	{"other_rate", "其他处理率", "(t3.other.total, or Σ t3.other.*.total) ÷ closed", "closed"},
	{"not_held_share", "本机关不掌握占无法提供", "t3.unavailable.not_held.total ÷ Σ t3.unavailable.*.total", "unavailable"},
	{"natural_person_share", "自然人申请占新收", "t3.new_received.natural_person ÷ t3.new_received.total", "received"},
	{"backlog_rate", "结转率", "t3.carried_forward.total ÷ caseload", "caseload"},
	{"review_correction_rate.all", "复议纠错率 (÷ 总计)", "t4.review.corrected ÷ t4.review.total", "reviews (t4.review.total)"},
	{"review_correction_rate.decided", "复议纠错率 (÷ 已审结)", "t4.review.corrected ÷ (t4.review.total − t4.review.pending)", "reviews decided (t4.review.total − t4.review.pending)"},
	{"litigation_correction_rate", "诉讼纠错率", "(t4.litigation_direct.corrected + t4.litigation_after_review.corrected) ÷ (t4.litigation_direct.total + t4.litigation_after_review.total)", "lawsuits (t4.litigation_direct.total + t4.litigation_after_review.total)"},
	{"dispute_rate", "(复议+诉讼) ÷ 新收", "(t4.review.total + t4.litigation_direct.total + t4.litigation_after_review.total) ÷ received", "received"},
	{"yoy.received", "新收同比变化", "received(Y) ÷ received(Y−1) − 1, as (received(Y) − received(Y−1)) ÷ received(Y−1)", "received(Y−1)"},
}

// SmallSample is the denominator below which a rate is flagged: one peer
// tool refuses to rate an organ on fewer than 30 requests.
const SmallSample = 30

// Indicator is one indicator's value for one report.
type Indicator struct {
	ID string
	// Value is the count or the rate (a fraction rounded half away from
	// zero to RateDecimals decimals: "0.4286" is 42.86 %); "" when it
	// cannot be computed, with Reason saying why.
	Value string
	// Numerator and Denominator are the exact operands as canonical
	// decimals (a count has only a Numerator, its value); each is set
	// whenever it could be computed, also when Value is "".
	Numerator   string
	Denominator string
	// SmallSample is set for a rate whose denominator is below
	// SmallSample.
	SmallSample bool
	Reason      string
	// ChecksFailed are the report's failed consistency checks R1–R4
	// ("R4 t4 row review"), attached, never a reason to drop the value;
	// for yoy.received also the previous year's, prefixed with its year.
	ChecksFailed []string
}

// term is one signed cell of a sum.
type term struct {
	table, row, col string
	neg             bool
}

func t3(row string) term       { return term{table: parser.TableRequests, row: row, col: "total"} }
func t3c(row, col string) term { return term{table: parser.TableRequests, row: row, col: col} }
func t4(row, col string) term  { return term{table: parser.TableAppeals, row: row, col: col} }

func (t term) id() string { return t.table + "." + t.row + "." + t.col }

// cellKey addresses a cell without building its dotted ID.
type cellKey struct{ table, row, col string }

func (t term) key() cellKey { return cellKey{t.table, t.row, t.col} }

// cellIndex indexes one report's cells of tables 三 and 四.
type cellIndex struct {
	cells map[cellKey]*parser.Cell
	// into maps an anchor cell to the rows whose cells a rowspan merged
	// into it (same table and column).
	into map[cellKey][]string
}

func newCellIndex(r *parser.Report) *cellIndex {
	ix := &cellIndex{cells: make(map[cellKey]*parser.Cell, 192)}
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Table != parser.TableRequests && c.Table != parser.TableAppeals {
			continue
		}
		ix.cells[cellKey{c.Table, c.Row, c.Column}] = c
		if c.MergedWith != "" {
			if ix.into == nil {
				ix.into = map[cellKey][]string{}
			}
			anchor := cellKey{c.Table, c.MergedWith, c.Column}
			ix.into[anchor] = append(ix.into[anchor], c.Row)
		}
	}
	return ix
}

func (ix *cellIndex) has(t term) bool { _, ok := ix.cells[t.key()]; return ok }

// sum adds the terms exactly. It fails, with the reason, when a cell is
// not printed, blank or not a number, or when a rowspan merge crosses the
// sum's boundary (one printed value covering rows inside and outside it:
// the part inside is unknown). A cell merged into another term of the sum
// counts 0: its value is counted once, on the row that printed it.
func (ix *cellIndex) sum(terms []term) (dec, string) {
	in := func(k cellKey) bool {
		for _, t := range terms {
			if t.key() == k {
				return true
			}
		}
		return false
	}
	var s dec
	for _, t := range terms {
		c, ok := ix.cells[t.key()]
		switch {
		case !ok:
			return 0, t.id() + " is not printed"
		case c.MergedWith == "?":
			return 0, t.id() + " is part of a merged cell whose printed row is unknown"
		case c.MergedWith != "":
			anchor := cellKey{t.table, c.MergedWith, t.col}
			if !in(anchor) {
				return 0, fmt.Sprintf("%s is merged with %s.%s.%s: one printed value covers rows inside and outside this sum", t.id(), t.table, c.MergedWith, t.col)
			}
			continue
		}
		for _, row := range ix.into[t.key()] {
			if !in(cellKey{t.table, row, t.col}) {
				return 0, fmt.Sprintf("%s.%s.%s is merged with %s: one printed value covers rows inside and outside this sum", t.table, row, t.col, t.id())
			}
		}
		if c.Value == "" {
			if c.Raw == "" {
				return 0, t.id() + " is blank"
			}
			return 0, fmt.Sprintf("%s is blank (printed %q)", t.id(), c.Raw)
		}
		v, ok := parseDec(c.Value)
		if !ok {
			return 0, fmt.Sprintf("%s = %s is not representable (more than 4 decimals or 12 digits)", t.id(), c.Value)
		}
		if t.neg {
			s -= v
		} else {
			s += v
		}
	}
	return s, ""
}

// group returns the total-column terms of table 三's rows with prefix
// ("denied.", …) in template order.
func group(prefix string) []term {
	var out []term
	for _, spec := range parser.Rows(parser.TableRequests, parser.Format2021) {
		if strings.HasPrefix(spec.ID, prefix) {
			out = append(out, t3(spec.ID))
		}
	}
	return out
}

var (
	deniedRows       = group("denied.")
	unavailableRows  = group("unavailable.")
	notProcessedRows = group("not_processed.")
	otherItemRows    = group("other.")
)

// otherRows returns the terms of （六）其他处理 in the form r printed: the
// single 2019 row, else the three 2021 rows.
func (ix *cellIndex) otherRows() []term {
	if ix.has(t3("other")) {
		return []term{t3("other")}
	}
	return otherItemRows
}

// Indicators computes the dictionary for r; prev is the same organ's
// report for the year before (nil when the archive has none), used by
// yoy.received. The result follows Dictionary's order. Values come from
// canonical cells only: a blank, unprinted or ambiguously merged cell
// leaves the indicator empty with the reason, a zero denominator too.
func Indicators(r, prev *parser.Report) []Indicator {
	out := make([]Indicator, 0, len(Dictionary))
	if r == nil {
		return out
	}
	failed := failedRules(r, "")
	ix := newCellIndex(r)
	get := func(terms ...term) operand {
		v, why := ix.sum(terms)
		return operand{v, why}
	}
	noTables := ""
	if len(r.Cells) == 0 {
		noTables = "no tables"
		if r.NoTables != "" {
			noTables = r.NoTables
		}
	}
	count := func(id string, o operand) {
		ind := Indicator{ID: id, ChecksFailed: failed}
		switch {
		case noTables != "":
			ind.Reason = noTables
		case o.reason != "":
			ind.Reason = o.reason
		default:
			ind.Value, ind.Numerator = o.v.String(), o.v.String()
		}
		out = append(out, ind)
	}
	ratio := func(id string, num, den operand, denName string) {
		out = append(out, ratioOf(id, num, den, denName, noTables, failed))
	}

	received := get(t3("new_received"))
	caseload := get(t3("new_received"), t3("carried_over"))
	closed := get(t3("total"))
	disclosed := get(t3("granted"), t3("partial"))
	unavailable := get(unavailableRows...)

	count("received", received)
	count("caseload", caseload)
	count("closed", closed)
	ratio("disclosure_rate.closed", disclosed, closed, "closed")
	ratio("disclosure_rate.caseload", disclosed, caseload, "caseload")
	ratio("full_disclosure_rate", get(t3("granted")), closed, "closed")
	ratio("denied_rate", get(deniedRows...), closed, "closed")
	ratio("unavailable_rate", unavailable, closed, "closed")
	ratio("not_processed_rate", get(notProcessedRows...), closed, "closed")
	ratio("other_rate", get(ix.otherRows()...), closed, "closed")
	ratio("not_held_share", get(t3("unavailable.not_held")), unavailable, "unavailable")
	ratio("natural_person_share", get(t3c("new_received", "natural_person")), received, "received")
	ratio("backlog_rate", get(t3("carried_forward")), caseload, "caseload")
	ratio("review_correction_rate.all", get(t4("review", "corrected")), get(t4("review", "total")), "reviews")
	pending := t4("review", "pending")
	pending.neg = true
	ratio("review_correction_rate.decided", get(t4("review", "corrected")), get(t4("review", "total"), pending), "reviews decided")
	ratio("litigation_correction_rate",
		get(t4("litigation_direct", "corrected"), t4("litigation_after_review", "corrected")),
		get(t4("litigation_direct", "total"), t4("litigation_after_review", "total")), "lawsuits")
	ratio("dispute_rate",
		get(t4("review", "total"), t4("litigation_direct", "total"), t4("litigation_after_review", "total")),
		received, "received")

	// Year on year: the change of received over the previous year's.
	yoy := Indicator{ID: "yoy.received", ChecksFailed: failed}
	switch {
	case prev == nil:
		yoy.Reason = "no report for " + strconv.Itoa(r.Year-1)
	case prev.Year != r.Year-1:
		yoy.Reason = fmt.Sprintf("the previous report is for %d, not %d", prev.Year, r.Year-1)
	default:
		yoy.ChecksFailed = append(append([]string{}, failed...), failedRules(prev, strconv.Itoa(prev.Year)+" ")...)
		before, why := newCellIndex(prev).sum([]term{t3("new_received")})
		pnt := ""
		if len(prev.Cells) == 0 {
			pnt = strconv.Itoa(prev.Year) + ": no tables"
		}
		switch {
		case why != "":
			why = strconv.Itoa(prev.Year) + ": " + why
		case pnt != "":
			why = pnt
		}
		yoy = ratioOf("yoy.received", operand{received.v - before, received.reason}, operand{before, why}, "received(Y−1)", noTables, yoy.ChecksFailed)
		if why != "" {
			yoy.Numerator = "" // the change needs both years
		}
	}
	return append(out, yoy)
}

// operand is an exact sum, or the reason it could not be computed.
type operand struct {
	v      dec
	reason string
}

// ratioOf builds a rate indicator from its operands.
func ratioOf(id string, num, den operand, denName, noTables string, failed []string) Indicator {
	ind := Indicator{ID: id, ChecksFailed: failed}
	if noTables != "" {
		ind.Reason = noTables
		return ind
	}
	if num.reason == "" {
		ind.Numerator = num.v.String()
	}
	if den.reason == "" {
		ind.Denominator = den.v.String()
		ind.SmallSample = den.v < SmallSample*decScale
	}
	switch {
	case num.reason != "":
		ind.Reason = "numerator: " + num.reason
	case den.reason != "":
		ind.Reason = "denominator " + denName + ": " + den.reason
	case den.v == 0:
		ind.Reason = "denominator " + denName + " is 0"
	default:
		ind.Value = rate(num.v, den.v)
		if ind.Value == "-0."+strings.Repeat("0", RateDecimals) {
			ind.Value = ind.Value[1:]
		}
	}
	return ind
}

// failedRules lists r's failed checks R1–R4 in short form ("R4 t4 row
// review", "R1 t3 column total"), each prefixed with prefix.
func failedRules(r *parser.Report, prefix string) []string {
	if len(r.Failures) == 0 {
		return nil
	}
	out := make([]string, 0, len(r.Failures))
	for _, f := range r.Failures {
		s := prefix + f.Rule + " " + f.Table
		if f.Row != "" {
			s += " row " + f.Row
		}
		if f.Column != "" {
			s += " column " + f.Column
		}
		out = append(out, s)
	}
	return out
}
