package crawler

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// docWriteHTML returns the HTML that the inline scripts write with
// document.write / document.writeln, where that can be read from the script
// text reliably: only calls whose argument is string literals joined by +.
// A call that concatenates a variable (document.write('<a href="' + url +
// '">')) is skipped entirely, because its literal parts alone would make
// wrong URLs. Rendering a page in the browser reads the others.
func docWriteHTML(scripts []string) string {
	var b strings.Builder
	for _, s := range scripts {
		for {
			i := strings.Index(s, "document.write")
			if i < 0 {
				break
			}
			s = s[i+len("document.write"):]
			s = strings.TrimPrefix(s, "ln")
			rest := strings.TrimLeft(s, " \t")
			if !strings.HasPrefix(rest, "(") {
				continue
			}
			html, n, ok := jsLiteralSum(rest[1:])
			if ok {
				b.WriteString(html)
				b.WriteByte('\n')
				s = rest[1+n:]
			}
		}
	}
	return b.String()
}

// jsLiteralSum reads `'a' + "b" + 'c')` from the start of s: string
// literals joined by + and closed by ')'. It returns their concatenation and
// the bytes consumed; ok is false for anything else.
func jsLiteralSum(s string) (string, int, bool) {
	var b strings.Builder
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) || (s[i] != '\'' && s[i] != '"') {
			return "", 0, false
		}
		lit, n, ok := jsString(s[i:])
		if !ok {
			return "", 0, false
		}
		b.WriteString(lit)
		i += n
		skip()
		if i >= len(s) {
			return "", 0, false
		}
		switch s[i] {
		case ')':
			return b.String(), i + 1, true
		case '+':
			i++
		default:
			return "", 0, false
		}
	}
}

// jsString decodes the JavaScript string literal at the start of s (quoted
// with ' or "). It returns the value and the bytes consumed.
func jsString(s string) (string, int, bool) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, true
		case c == '\n':
			return "", 0, false
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", 0, false
		}
		e := s[i+1]
		i += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'u', 'x':
			w := 4
			if e == 'x' {
				w = 2
			}
			if i+w > len(s) {
				return "", 0, false
			}
			n, err := strconv.ParseUint(s[i:i+w], 16, 32)
			if err != nil || !utf8.ValidRune(rune(n)) {
				return "", 0, false
			}
			b.WriteRune(rune(n))
			i += w
		case '\n':
			// A line continuation.
		default:
			b.WriteByte(e) // \' \" \\ \/ and unknown escapes
		}
	}
	return "", 0, false
}

// docWriteLinks returns the links of the HTML the scripts write
// (docWriteHTML). Their blocks are numbered apart from the page's own.
func docWriteLinks(scripts []string) []link {
	w := docWriteHTML(scripts)
	if w == "" {
		return nil
	}
	links := scanHTML([]byte(w)).links
	for i := range links {
		if links[i].block != 0 {
			links[i].block += 1 << 24
		}
	}
	return links
}
