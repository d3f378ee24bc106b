package parser

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Some platforms ship a report page as a shell whose content is HTML inside
// a script: a JSON field (Guangdong gkmlpt's window._CONFIG.DETAIL) or a JS
// string (Shanghai's 2019 report). When a page's own text yields no tables,
// the string literals of its scripts that hold a table are decoded and read
// as the page's content.

// reStringLiteral matches a double-quoted JS/JSON string literal.
var reStringLiteral = regexp.MustCompile(`"(?:[^"\\\n]|\\.){64,}"`)

// embeddedHTML returns the HTML held in the string literals of scripts that
// contain a table, in order; "" when there is none.
func embeddedHTML(scripts []string) string {
	var b strings.Builder
	for _, sc := range scripts {
		for _, lit := range reStringLiteral.FindAllString(sc, -1) {
			if !strings.Contains(lit, "table") && !strings.Contains(lit, "TABLE") {
				continue
			}
			var s string
			if err := json.Unmarshal([]byte(lit), &s); err != nil {
				continue // not a JSON-compatible literal (\x escapes, …)
			}
			l := strings.ToLower(s)
			if !strings.Contains(l, "<table") && !strings.Contains(l, "<td") {
				continue
			}
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
