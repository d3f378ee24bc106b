// Package panel is nianbao's research layer: what evaluators and scholars
// compute from many reports at once (the CASS 政府透明度指数, provincial
// 政务公开 assessments, hand-coded legal studies), computed from the archive
// with every figure traceable to the cells and captures behind it.
//
// It owns, as pure functions over parsed reports:
//
//   - the indicator dictionary of research.md (Dictionary, Indicators):
//     counts and rates from the canonical cells of tables 三 and 四, each
//     with its numerator, denominator, a small-sample flag and the
//     report's failed checks, never computed from a blank;
//   - timeliness (Deadline, Analyzer.Timeliness): the statutory deadline
//     for the organ type and year (条例 2019 art. 49, 条例 2007 art. 31),
//     overridable per site, against the printed date, the page's metadata
//     date and the archive's own first sight of the report;
//   - completeness and template (Completeness): the six sections, the
//     tables, the template against the year, an empty section 五;
//   - copies: a report's tables or prose against the same organ's previous
//     year, and its prose against every other report of the year
//     (Siblings, a MinHash LSH index over parser.Outline fingerprints);
//   - revisions: numbers changed after the first capture;
//   - the signals that sum these up (SignalIDs), and the coverage matrix
//     organ × year (Coverage).
//
// Its input is one Entry per report, which the caller fills from the
// store and the agency register (agency_id, organ type, first sight);
// panel does no I/O, imports only parser, keeps no global state and never
// logs. Everything streams: Analyzer.Analyze takes one agency's reports
// at a time (the store's agency/year order), and only copy_sibling needs
// a whole year at once, through Siblings, which keeps a 256-byte
// fingerprint and the names per report.
package panel
