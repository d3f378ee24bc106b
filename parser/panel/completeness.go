package panel

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"nianbao/parser"
)

// ExpectedFormat returns the template a report for statistics year year
// should follow: the 2019 format (国办公开办函〔2019〕60号) for 2019 and
// 2020, the 2021 format (〔2021〕30号) from 2021, legacy before 2019.
func ExpectedFormat(year int) parser.Format {
	switch {
	case year >= 2021:
		return parser.Format2021
	case year >= 2019:
		return parser.Format2019
	}
	return parser.FormatLegacy
}

// Section5MinRunes is the length below which section 五 counts as empty
// (one peer tool: "无" or under about 10 characters).
const Section5MinRunes = 10

// Completeness is what a report contains against the template.
type Completeness struct {
	// Known is set when the report's text was read (an Outline exists);
	// Sections and Section5* are meaningless otherwise.
	Known bool
	// Sections and MissingSections are the section IDs (parser.Sections)
	// the report prints and leaves out.
	Sections        []string
	MissingSections []string
	// Tables and MissingTables are the tables ("t2", "t3", "t4") found and
	// not found.
	Tables        []string
	MissingTables []string
	// Format is the template detected from the tables; Expected the one
	// for the year.
	Format   parser.Format
	Expected parser.Format
	// Section5Runes is section 五's length in letters and digits (-1: no
	// 五 heading); Section5Empty is set when it is under Section5MinRunes,
	// or only says there is nothing to say ("无", "暂无", "本年度无…")
	// once the heading's own words are removed.
	Section5Runes int
	Section5Empty bool
	Section5      string
}

// tablesReadable reports whether r's input could be read for tables at
// all: false for images, scans, .doc and a page whose report is an
// attachment (coverage says not_extractable or no_tables then).
func tablesReadable(r *parser.Report) bool {
	if r.NoTables == "" {
		return true
	}
	return !strings.Contains(r.NoTables, "not extractable") && !strings.Contains(r.NoTables, "images") &&
		!strings.Contains(r.NoTables, "attachment") && !strings.Contains(r.NoTables, "legacy")
}

func completeness(r *parser.Report, year int) Completeness {
	c := Completeness{Format: r.Format, Expected: ExpectedFormat(year), Section5Runes: -1}
	if o := r.Outline; o != nil {
		c.Known = true
		c.Sections = o.Sections
		for _, s := range parser.Sections {
			if !slices.Contains(o.Sections, s) {
				c.MissingSections = append(c.MissingSections, s)
			}
		}
		c.Section5Runes, c.Section5 = o.Section5Runes, o.Section5
		c.Section5Empty = o.Section5Runes >= 0 && section5Empty(o.Section5Runes, o.Section5)
	}
	missing := map[string]bool{}
	for _, m := range r.Missing {
		if !strings.Contains(m, "/") {
			missing[strings.TrimSpace(strings.SplitN(m, ":", 2)[0])] = true
		}
	}
	for _, t := range parser.Tables {
		has := false
		for _, cell := range r.Cells {
			if cell.Table == t {
				has = true
				break
			}
		}
		if has && !missing[t] {
			c.Tables = append(c.Tables, t)
		} else {
			c.MissingTables = append(c.MissingTables, t)
		}
	}
	return c
}

// s5Filler are the words of section 五's heading and sub-headings, left
// out before deciding that the section says nothing.
var s5Filler = []string{"存在的主要问题及改进情况", "存在的主要问题和改进情况", "存在的主要问题及改进措施", "存在的主要问题",
	"主要问题", "存在问题", "改进情况", "改进措施", "问题", "情况", "及", "和"}

// section5Empty applies the empty-or-boilerplate rule to section 五's
// length and (when short) text.
func section5Empty(n int, text string) bool {
	if n < Section5MinRunes {
		return true
	}
	if text == "" {
		return false // longer than parser.Section5Keep: not boilerplate
	}
	for _, f := range s5Filler {
		text = strings.ReplaceAll(text, f, "")
	}
	return utf8.RuneCountInString(text) < Section5MinRunes
}

// sectionNames renders section IDs with their template headings.
func sectionNames(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = parser.SectionTitles[id]
	}
	return strings.Join(names, ", ")
}

var tableNames = map[string]string{
	parser.TableActive:   "二 (主动公开, t2)",
	parser.TableRequests: "三 (依申请, t3)",
	parser.TableAppeals:  "四 (复议诉讼, t4)",
}

func tableList(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = tableNames[id]
	}
	return strings.Join(names, ", ")
}

// completenessSignals returns missing_sections, missing_tables,
// template_mismatch and empty_section5 for a report. Sections and tables
// are required from statistics year 2019 (the national templates); the
// template is checked whenever standard tables were read; section 五 in
// any year that prints it.
func completenessSignals(r *parser.Report, year int, c Completeness) []Signal {
	var out []Signal
	readable := tablesReadable(r)
	if year >= 2019 && c.Known && readable && len(c.MissingSections) > 0 {
		out = append(out, Signal{ID: SignalMissingSections, Detail: fmt.Sprintf("%d of 6 sections missing: %s; present: %s",
			len(c.MissingSections), sectionNames(c.MissingSections), orNone(sectionNames(c.Sections)))})
	}
	if year >= 2019 && readable && len(c.MissingTables) > 0 {
		d := fmt.Sprintf("%d of 3 tables missing: %s", len(c.MissingTables), tableList(c.MissingTables))
		if r.NoTables != "" {
			d += " (" + r.NoTables + ")"
		}
		out = append(out, Signal{ID: SignalMissingTables, Detail: d})
	}
	if (r.Format == parser.Format2019 || r.Format == parser.Format2021) && r.Format != c.Expected {
		d := fmt.Sprintf("tables in the %s format in a report for %d, which should use the %s format", r.Format, year, c.Expected)
		switch c.Expected {
		case parser.Format2021:
			d += " (国办公开办函〔2021〕30号, from statistics year 2021)"
		case parser.Format2019:
			d += " (国办公开办函〔2019〕60号, statistics years 2019–2020)"
		default:
			d += " (provincial forms before 2019): check the statistics year"
		}
		out = append(out, Signal{ID: SignalTemplateMismatch, Detail: d})
	}
	if c.Known && c.Section5Empty {
		d := fmt.Sprintf("section 五 (存在的主要问题及改进情况) has %d characters", c.Section5Runes)
		if c.Section5 != "" {
			d += fmt.Sprintf(": %q", c.Section5)
		}
		if c.Section5Runes >= Section5MinRunes {
			d += ", nothing beyond its heading's words and a statement that there is nothing to report"
		} else {
			d += fmt.Sprintf(" (under %d)", Section5MinRunes)
		}
		out = append(out, Signal{ID: SignalEmptySection5, Detail: d})
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
