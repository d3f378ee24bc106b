package parser

func extractDOCX(body []byte, src Source) (*document, error) {
	return &document{input: "docx", noTables: "tables not extractable: docx (no DOCX reader yet)"}, nil
}
