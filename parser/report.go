package parser

import (
	"fmt"
	"strings"
)

// Format is the statistical template a report follows.
type Format string

// The formats of report-format.md. A report's format is detected from its
// tables, never from its year alone.
const (
	Format2021   Format = "2021"   // 国办公开办函〔2021〕30号, reports for 2021 onward
	Format2019   Format = "2019"   // 国办公开办函〔2019〕60号, reports for 2019 and 2020
	FormatLegacy Format = "legacy" // 2008–2018 provincial templates; archived, not tabulated
	FormatNone   Format = "none"   // no standard tables in the input
)

// Scope says whether a report covers its organ alone or totals a whole area.
type Scope string

// Scopes.
const (
	ScopeSelf      Scope = "self"
	ScopeAggregate Scope = "aggregate"
)

// Cell is one printed cell of tables 二, 三 or 四, addressed by the canonical
// table/row/column IDs of report-format.md.
//
// Raw is the text as printed (whitespace folded). Value is the normalised
// number as a canonical decimal string ("7730.28", "-3", "1036"); it is empty
// when the cell is blank or printed as "/", "-", "—", "无" or "不适用".
//
// MergedWith is set on a cell that the source did not print on its own row
// because one rowspan cell covered several rows: it names the row whose cell
// carries the printed value (which is counted there, and only there). Such a
// cell has an empty Raw and Value.
type Cell struct {
	Table      string `json:"table"`
	Row        string `json:"row"`
	Column     string `json:"column"`
	Value      string `json:"value"`
	Raw        string `json:"raw"`
	MergedWith string `json:"merged_with,omitempty"`
}

// ID returns the cell's dotted identifier, e.g. "t3.new_received.total",
// used as a column name by wide exports.
func (c Cell) ID() string { return c.Table + "." + c.Row + "." + c.Column }

// Report is one parsed 政府信息公开工作年度报告: its identity, the cells of its
// standard tables in template order, and the outcome of its consistency
// checks. The printed numbers are kept as printed; a report that breaks its
// own arithmetic lists the failures and is never repaired.
type Report struct {
	// Agency is the reporting organ's name as printed (cleaned of spaces
	// and quotes), read from the first of these that names it: the title
	// (IdentityTitle), a heading (IdentityHeading), Source.Title
	// (IdentitySourceTitle), the metadata block (IdentityMetadata), a
	// preamble sentence naming the report (IdentityBody), the signature
	// (IdentitySignature), the organ that compiled the report ("本报告由XX
	// 编制", IdentityBody: for a government's report that is its 办公室, so
	// it comes after the signature), Source.LinkText (IdentityLinkText),
	// and last the configured site name Source.Agency (IdentityConfig,
	// a fallback: see AgencyIdentified). AgencySource records which.
	Agency       string         `json:"agency"`
	AgencySource IdentitySource `json:"agency_source"`
	// Year is the statistics year (the year the report is about), 0 when
	// unknown: the title's (any word order), else the statistics period
	// (IdentityPeriod), else a preamble sentence naming the report, else
	// Source.LinkText, else the publication year − 1 (IdentityPublished);
	// never the publication year itself. YearSource records which.
	Year       int            `json:"year"`
	YearSource IdentitySource `json:"year_source"`
	Format     Format         `json:"format"`
	Published  string         `json:"published"`  // YYYY-MM-DD as printed on the page; "" when unknown
	OrganCode  string         `json:"organ_code"` // 索引号 prefix; "" when the page has none
	Scope      Scope          `json:"scope"`
	Title      string         `json:"title"`

	// Input is the kind of input the tables were read from: html, text, pdf or docx.
	Input string `json:"input"`
	// SourceURL, FetchedAt and SHA256 are the provenance of the input bytes.
	// FetchedAt is RFC 3339, empty for local files.
	SourceURL string `json:"source_url"`
	FetchedAt string `json:"fetched_at"`
	SHA256    string `json:"sha256"`

	// Cells holds every cell found, in template order (see Rows and Columns).
	Cells []Cell `json:"cells"`
	// Missing names the tables ("t4") and rows ("t3/other.other") of the
	// report's format that the input does not print, with the reason when
	// one is known.
	Missing []string `json:"missing"`
	// NoTables is set when the input holds no extractable statistical
	// tables, e.g. "no tables in page: tables are images"; Cells is then empty.
	NoTables string `json:"no_tables,omitempty"`
	// Checked counts the identities R1–R4 that could be evaluated; Failures
	// lists those that do not hold.
	Checked  int            `json:"checked"`
	Failures []CheckFailure `json:"failures"`
	// Warnings are notes on what the parser saw but could not use.
	Warnings []string `json:"warnings"`
	// ParserVersion identifies the rules that produced this report.
	ParserVersion string `json:"parser_version"`

	// Outline is the report's text structure (its six sections, section
	// 五's length, a prose fingerprint) for the research layer; nil when
	// the input has no text or the report predates outlines (outline.go).
	Outline *Outline `json:"outline,omitempty"`
}

// Cell returns the cell at table/row/column and whether the report has it.
func (r *Report) Cell(table, row, column string) (Cell, bool) {
	for _, c := range r.Cells {
		if c.Table == table && c.Row == row && c.Column == column {
			return c, true
		}
	}
	return Cell{}, false
}

// CheckFailure is one consistency identity (勾稽关系) that the printed numbers
// break. Left and Right describe the two sides; LeftValue and RightValue are
// their sums as canonical decimals.
type CheckFailure struct {
	Rule       string `json:"rule"` // R1, R2, R3 or R4
	Table      string `json:"table"`
	Row        string `json:"row,omitempty"`
	Column     string `json:"column,omitempty"`
	Left       string `json:"left"`
	LeftValue  string `json:"left_value"`
	Right      string `json:"right"`
	RightValue string `json:"right_value"`
	Diff       string `json:"diff"` // LeftValue − RightValue
}

// String renders the failure on one line, e.g.
// "R4 t4 row review: upheld+corrected+other+pending = 11 ≠ total = 0 (diff 11)".
func (f CheckFailure) String() string {
	var where []string
	if f.Row != "" {
		where = append(where, "row "+f.Row)
	}
	if f.Column != "" {
		where = append(where, "column "+f.Column)
	}
	return fmt.Sprintf("%s %s %s: %s = %s ≠ %s = %s (diff %s)",
		f.Rule, f.Table, strings.Join(where, " "), f.Left, f.LeftValue, f.Right, f.RightValue, f.Diff)
}
