package parser

import (
	"archive/zip"
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// decode returns body as UTF-8. The order is the one sites.md §B8 requires:
// a byte-order mark, the HTTP header charset, valid UTF-8, the page's own
// <meta> declaration, then GB18030 (a superset of GBK and GB2312). Any
// Chinese label resolves to GB18030, because the GBK decoder garbles
// four-byte sequences. A declaration that the bytes contradict (a header
// saying UTF-8 over GBK bytes) is not trusted: mojibake is never returned
// when another reading is clean.
func decode(body []byte, contentType string) string {
	switch {
	case bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")):
		return string(body[3:])
	case bytes.HasPrefix(body, []byte("\xFF\xFE")), bytes.HasPrefix(body, []byte("\xFE\xFF")):
		e, _ := charset.Lookup("utf-16")
		if s, ok := decodeWith(e, body); ok {
			return s
		}
	}
	if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
		if e := lookup(params["charset"]); e != nil {
			if s, ok := decodeWith(e, body); ok {
				return s
			}
		}
	}
	if utf8.Valid(body) {
		return string(body)
	}
	if _, name, _ := charset.DetermineEncoding(body, "text/html"); name != "" && name != "windows-1252" && name != "utf-8" {
		if e := lookup(name); e != nil {
			if s, ok := decodeWith(e, body); ok {
				return s
			}
		}
	}
	s, _ := decodeWith(simplifiedchinese.GB18030, body)
	return s
}

// lookup maps a charset label to a decoder, sending every simplified
// Chinese label to GB18030.
func lookup(label string) encoding.Encoding {
	l := strings.ToLower(strings.TrimSpace(label))
	switch l {
	case "gbk", "gb2312", "gb_2312-80", "gb18030", "gb-18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312":
		return simplifiedchinese.GB18030
	case "big5", "big5-hkscs":
		return traditionalchinese.Big5
	case "utf8", "utf-8":
		return encoding.Nop
	}
	e, err := htmlindex.Get(l)
	if err != nil {
		return nil
	}
	return e
}

// decodeWith decodes b and reports whether the result is clean (valid UTF-8
// with no replacement characters the input did not already hold).
func decodeWith(e encoding.Encoding, b []byte) (string, bool) {
	if e == encoding.Nop {
		return string(b), utf8.Valid(b)
	}
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return string(out), false
	}
	return string(out), !bytes.ContainsRune(out, utf8.RuneError)
}

// zipKind tells a DOCX from an XLSX or another zip archive by its parts.
func zipKind(body []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return "zip"
	}
	for _, f := range zr.File {
		switch {
		case f.Name == "word/document.xml":
			return "docx"
		case strings.HasPrefix(f.Name, "xl/"):
			return "xlsx"
		}
	}
	return "zip"
}
