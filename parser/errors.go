package parser

import "errors"

// Sentinel errors returned by the parser.
var (
	// ErrEmpty is returned for an input with no bytes.
	ErrEmpty = errors.New("parser: empty input")

	// ErrUnknownFormat is returned for bytes that are neither HTML, text,
	// PDF nor an Office document (an image, an archive, binary junk).
	ErrUnknownFormat = errors.New("parser: unknown input format")

	// ErrCorrupt is returned for a PDF or Office file that cannot be opened.
	ErrCorrupt = errors.New("parser: corrupt document")
)

// ParseError says where in the input a problem was found. It wraps one of
// the sentinels above or an underlying error.
type ParseError struct {
	Source string // path or URL of the input
	Where  string // e.g. "page 3", "word/document.xml"
	Err    error
}

func (e *ParseError) Error() string {
	msg := e.Source
	if e.Where != "" {
		msg += ": " + e.Where
	}
	return msg + ": " + e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }
