package parser

import (
	"strconv"
)

// Header is the tidy CSV header, one row per cell. It is the export
// contract shared by `nianbao parse --format csv` and `nianbao export`:
// columns are only ever added, at the end. agency_id (added with the
// agency register, issue 12) is the archive's identifier of the organ; it
// is always the last column, empty outside an archive (nianbao parse).
var Header = []string{"agency", "year", "format", "table", "row", "column", "value", "raw", "source_url", "published", "fetched_at", "sha256", "agency_id"}

// Records returns the tidy rows of r, one per cell in template order,
// matching Header. Text fields are made safe for spreadsheets with
// SafeField; values are canonical decimals or empty.
func (r *Report) Records() [][]string {
	out := make([][]string, 0, len(r.Cells))
	for _, c := range r.Cells {
		out = append(out, r.Record(c))
	}
	return out
}

// Record returns the tidy row of one cell of r, matching Header, with an
// empty agency_id (a report alone has none: the archive's register gives
// it; see RecordFor).
func (r *Report) Record(c Cell) []string { return r.RecordFor(c, "") }

// RecordFor returns the tidy row of one cell of r, matching Header, with
// the given agency_id.
func (r *Report) RecordFor(c Cell, agencyID string) []string {
	year := ""
	if r.Year != 0 {
		year = strconv.Itoa(r.Year)
	}
	return []string{
		SafeField(r.Agency), year, string(r.Format), c.Table, c.Row, c.Column,
		c.Value, SafeField(c.Raw), SafeField(r.SourceURL), r.Published, r.FetchedAt, r.SHA256, agencyID,
	}
}

// SafeField neutralises a text field against spreadsheet formula injection:
// text that begins with =, +, -, @, a tab or a carriage return gets a
// leading apostrophe. Numbers ("-3", "+1036") are left as they are.
func SafeField(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return s
		}
		return "'" + s
	}
	return s
}
