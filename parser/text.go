package parser

func extractText(text string) *document { return &document{input: "text"} }
