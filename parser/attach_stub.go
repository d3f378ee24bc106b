package parser

// Stubs until pdf.go and docx.go land (issue 3).

type pdfEngine struct{}

func (e *pdfEngine) close() error { return nil }

func (p *Parser) extractPDF(body []byte, src Source) (*document, error) {
	return &document{input: "pdf", noTables: "tables not extractable: pdf (no PDF engine yet)"}, nil
}

func extractDOCX(body []byte, src Source) (*document, error) {
	return &document{input: "docx", noTables: "tables not extractable: docx (no DOCX reader yet)"}, nil
}
