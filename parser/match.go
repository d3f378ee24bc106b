package parser

// interpret maps a document's lines onto the canonical template. (stub)
func interpret(doc *document, src Source) *Report {
	return &Report{Format: FormatNone, Input: doc.input, NoTables: doc.noTables}
}
