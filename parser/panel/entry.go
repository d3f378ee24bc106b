package panel

import (
	"time"

	"nianbao/parser"
)

// Entry is one report (one organ, one statistics year) as the research
// layer sees it: the parsed report, its stored versions, and what the
// archive knows about when and where it appeared. The caller (the store
// and the agency register, through cmd) fills it; panel never changes it.
type Entry struct {
	// AgencyID is the organ's stable ID from the agency register; "" until
	// the register assigns one, in which case the organ is keyed by its
	// name (see Key).
	AgencyID string
	// Agency is the organ's name as the report prints it (latest version).
	Agency string
	// Site is the configured site the report was found on: the unit of
	// the coverage universe and of per-site deadline overrides.
	Site string
	// Year is the statistics year.
	Year int
	// Organ is the organ's type with how it was decided. The zero value
	// means "infer from the name" (ClassifyOrgan); the register or the
	// configuration sets it to override.
	Organ Organ
	// Report is the latest version's parsed report. Required.
	Report *parser.Report
	// Versions are the stored versions, oldest first (the latest is the
	// last). Their Report may be nil when the caller loaded only the
	// latest: revisions are then reported without the changed cells.
	Versions []Version
	// FirstSeen is when the archive first captured the report (its
	// earliest capture's fetch time); zero when unknown.
	FirstSeen time.Time
	// PrevCrawl is the end of the last successful crawl of Site before
	// FirstSeen, the evidence that the report was not there yet; zero when
	// the site was not crawled before the report was found (the archive
	// then knows nothing about the time before FirstSeen).
	PrevCrawl time.Time
	// MetaPublished is the publication date (YYYY-MM-DD) that the site's
	// listing or the page's metadata gives, when it differs in origin from
	// Report.Published (the date printed on the page); "" when unknown.
	MetaPublished string
	// Identified is false when the agency name is the site's fallback
	// (the register's agency_source "config"): the report could not be
	// attributed to an organ.
	Identified bool
	// SourceURL is where the latest version was read; "" means
	// Report.SourceURL.
	SourceURL string
}

// Version is one stored version of a report.
type Version struct {
	N        int
	StoredAt time.Time
	// Digest identifies the version's numbers (store.CellsDigest).
	Digest string
	// Captures are the SHA-256s of the bodies the version was parsed
	// from, and ParserVersion the parser's rules: a version made by
	// re-parsing the same captures with newer rules is not a revision.
	Captures      []string
	ParserVersion string
	// Published is the publication date the version printed; "" means
	// Report.Published (set it when Report is not loaded).
	Published string
	// Report is the version's parsed report; nil when not loaded.
	Report *parser.Report
}

// published returns the date the version printed.
func (v Version) published() string {
	if v.Published == "" && v.Report != nil {
		return v.Report.Published
	}
	return v.Published
}

// Key returns the key that identifies the entry's organ: AgencyID when
// set, else "name:" and the name.
func (e *Entry) Key() string {
	if e.AgencyID != "" {
		return e.AgencyID
	}
	return "name:" + e.Agency
}

// sourceURL returns the URL of the latest version.
func (e *Entry) sourceURL() string {
	if e.SourceURL != "" {
		return e.SourceURL
	}
	if e.Report != nil {
		return e.Report.SourceURL
	}
	return ""
}

// organ returns the entry's organ type, inferred from the name when the
// caller set none.
func (e *Entry) organ() Organ {
	if e.Organ.Type != "" {
		if e.Organ.Rule == "" {
			return Organ{e.Organ.Type, "set by the caller"}
		}
		return e.Organ
	}
	scope := parser.ScopeSelf
	if e.Report != nil {
		scope = e.Report.Scope
	}
	return ClassifyOrgan(e.Agency, scope)
}
