package crawler

import (
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// detectCharset names the encoding of an HTML or XML body: the Content-Type
// charset, else a byte-order mark or <meta> declaration, else a trial: UTF-8
// if the whole body is valid UTF-8, GB18030 otherwise. GBK and GB2312 are
// reported as "gb18030", their superset, because the GBK decoder garbles
// four-byte sequences (see spec/dependencies.md §3.1).
//
// colly's own DetectCharset is not used: for a GBK page with neither header
// nor <meta> it decodes as windows-1252 (mojibake).
func detectCharset(body []byte, contentType string) string {
	_, name, certain := charset.DetermineEncoding(body, contentType)
	name = canonicalCharset(name)
	if !certain && (name == "utf-8" || name == "windows-1252") {
		// A <meta> that claims UTF-8 or Latin-1, or no declaration at all:
		// trust the bytes. Chinese government pages that are not UTF-8 are
		// GBK-family.
		if utf8.Valid(body) {
			return "utf-8"
		}
		return "gb18030"
	}
	if name == "utf-8" && !utf8.Valid(body) && !declaredUTF8(contentType) {
		return "gb18030"
	}
	return name
}

// declaredUTF8 reports whether the Content-Type header itself names UTF-8.
func declaredUTF8(contentType string) bool {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	cs := strings.ToLower(params["charset"])
	return cs == "utf-8" || cs == "utf8"
}

// canonicalCharset maps the GBK family to gb18030 and lower-cases the rest.
func canonicalCharset(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	switch name {
	case "gbk", "gb2312", "gb_2312-80", "x-gbk", "gb18030", "cp936", "euc-cn", "csgb2312":
		return "gb18030"
	case "utf8":
		return "utf-8"
	}
	return name
}

// encodingFor returns the decoder for a canonical charset name, nil for
// UTF-8 and unknown names.
func encodingFor(name string) encoding.Encoding {
	switch name {
	case "", "utf-8":
		return nil
	case "gb18030":
		return simplifiedchinese.GB18030
	}
	e, _ := charset.Lookup(name)
	return e
}

// decodeWith decodes b from the named charset to UTF-8. Undecodable bytes
// become U+FFFD; UTF-8 and unknown charsets return b itself.
func decodeWith(b []byte, name string) []byte {
	e := encodingFor(canonicalCharset(name))
	if e == nil {
		return b
	}
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return b
	}
	return out
}

// isTextual reports whether a response should be read as HTML/XML/JSON text
// (for link discovery and challenge detection) rather than as a binary file.
func isTextual(contentType string, body []byte) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case strings.HasPrefix(mt, "text/"), strings.Contains(mt, "html"), strings.Contains(mt, "xml"),
		strings.Contains(mt, "json"), strings.Contains(mt, "javascript"):
		return true
	case mt == "" || mt == "application/octet-stream":
		// Sniff: a body that starts with markup is text.
		s := strings.TrimLeft(string(body[:min(len(body), 512)]), " \t\r\n\ufeff")
		return strings.HasPrefix(s, "<") || strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")
	}
	return false
}
