// Package parser owns the meaning of a 政府信息公开工作年度报告.
//
// It turns the bytes of a report (an HTML page in UTF-8 or GBK, a flattened
// text page, a PDF or DOCX attachment) into a normalised *Report: agency
// and statistics year with where each was read (identity.go: title,
// heading, metadata, body, signature, link text, or configuration as a
// fallback), template format, publication date, organ code, scope, and
// every cell of tables 二, 三 and 四 addressed by the canonical
// table/row/column IDs of report-format.md (schema.go). It runs the
// consistency checks R1–R4 on every parse and reports failures without
// repairing them, and it owns the flat record layout used by CSV exports
// (record.go) and the pure comparison of two reports (diff.go).
//
// Reading happens in two steps. An extractor per input kind (html.go,
// text.go, pdf.go, docx.go) produces lines of cells; the template matcher
// (match.go) maps those lines onto the canonical rows by tolerant label
// matching, so that every input kind shares one set of rules.
//
// The package touches no network and no files (the optional PDF engine
// compilation cache is the only exception, and only when
// Options.PDFCacheDir is set), keeps no global state, logs nothing, and
// must not panic on hostile input: FuzzParse guards this. Every document is
// read within limits (limits.go: Options.Timeout, Options.PDFMemoryLimit
// and fixed caps on a PDF's characters and ruling lines); a document past
// one is reported as "tables not extractable: too complex (limit …)"
// rather than read at any cost.
package parser
