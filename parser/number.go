package parser

import (
	"regexp"
	"strings"
)

// valueKind classifies the text of a cell.
type valueKind int

const (
	kindLabel  valueKind = iota // text that is not a value
	kindNumber                  // a number
	kindBlank                   // printed as blank: "/", "-", "—", "无", "不适用"
)

var (
	reNumber    = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)
	reThousands = regexp.MustCompile(`^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$`)
)

// blankMarks are the printed forms of an empty cell.
var blankMarks = map[string]bool{
	"/": true, "-": true, "—": true, "——": true, "–": true, "\\": true, "无": true, "不适用": true, "／": true, "－": true, "―": true, "−": true, "--": true,
}

// unitSuffixes are the units printed after a number that parseValue strips:
// amounts (万元, 元) and counts (件, 个, 项, 次, 人次, 笔, 份, 宗, 条, 人).
// Table 二 prints counts with units (2笔, 3项, 5件, 12个, 1次; issue 17).
// Longer units come before the units they end with (人次 before 次), and
// only one unit is stripped, so "2笔元" stays a label.
var unitSuffixes = []string{"万元", "元", "人次", "件", "个", "项", "次", "笔", "份", "宗", "条", "人"}

// parseValue reports whether s is a cell value and returns its canonical
// decimal form: full-width digits and signs folded, thousands separators,
// spaces and unit suffixes removed, a leading "+" and leading zeros dropped,
// trailing fraction zeros dropped ("6586650.10元" → "6586650.1"). Blank marks
// return kindBlank with an empty value. A number is never split: s is one
// printed cell.
func parseValue(s string) (string, valueKind) {
	if quickLabel(s) {
		return "", kindLabel
	}
	t := foldWidth(s)
	t = strings.Map(func(r rune) rune {
		if isSpace(r) {
			return -1
		}
		return r
	}, t)
	if t == "" {
		return "", kindBlank
	}
	if blankMarks[t] {
		return "", kindBlank
	}
	if t[len(t)-1] >= 0x80 { // every unit is a CJK character
		for _, u := range unitSuffixes {
			if strings.HasSuffix(t, u) && len(t) > len(u) {
				t = strings.TrimSuffix(t, u)
				break
			}
		}
	}
	if strings.IndexByte(t, ',') >= 0 && reThousands.MatchString(t) {
		t = strings.ReplaceAll(t, ",", "")
	}
	if !isNumber(t) {
		return "", kindLabel
	}
	return canonical(t), kindNumber
}

// isNumber is reNumber without the regexp: [+-]?digits(.digits)?
func isNumber(t string) bool {
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	d := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
		d++
	}
	if d == 0 {
		return false
	}
	if i == len(t) {
		return true
	}
	if t[i] != '.' {
		return false
	}
	i++
	f := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
		f++
	}
	return f > 0 && i == len(t)
}

// canonical normalises a string matching reNumber.
func canonical(t string) string {
	neg := false
	switch t[0] {
	case '+':
		t = t[1:]
	case '-':
		neg = true
		t = t[1:]
	}
	intPart, frac, hasFrac := strings.Cut(t, ".")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	if hasFrac {
		frac = strings.TrimRight(frac, "0")
	}
	out := intPart
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}

// foldWidth turns full-width ASCII (digits, letters, signs, brackets) into
// ASCII and the ideographic space into a space.
func foldWidth(s string) string {
	needs := false
	for _, r := range s {
		if (r >= 0xFF01 && r <= 0xFF5E) || r == 0x3000 || r == 0x2212 {
			needs = true
			break
		}
	}
	if !needs {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFF01 + '!'
		case r == 0x3000:
			return ' '
		case r == 0x2212:
			return '-'
		}
		return r
	}, s)
}

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0xA0, 0x3000, 0x2002, 0x2003, 0x2009, 0x200B, 0xFEFF:
		return true
	}
	return false
}

// foldSpaces collapses runs of white space (including no-break and
// ideographic spaces) to one space and trims the ends.
func foldSpaces(s string) string {
	if t := strings.TrimFunc(s, isSpace); plainSpaced(t) {
		return t
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if isSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// quickLabel reports whether s is surely a label: long, or starting with a
// character that no number or blank mark starts with.
func quickLabel(s string) bool {
	if len(s) > 64 {
		return true
	}
	for _, r := range s {
		if isSpace(r) {
			continue
		}
		switch {
		case r >= '0' && r <= '9', r >= '０' && r <= '９', strings.ContainsRune("+-.,/\\—–―－＋／−无不", r):
			return false
		}
		return true
	}
	return false
}

// plainSpaced reports whether s needs no folding: ASCII spaces only, single,
// and none at either end.
func plainSpaced(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prev := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' && prev == ' ', c == '\t', c == '\n', c == '\r', c == '\v', c == '\f':
			return false
		case c == 0xC2 && i+1 < len(s) && s[i+1] == 0xA0: // U+00A0
			return false
		case c == 0xE3 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2] == 0x80: // U+3000
			return false
		case c == 0xE2 && i+1 < len(s) && s[i+1] == 0x80: // U+2002.. U+200B
			return false
		case c == 0xEF && i+2 < len(s) && s[i+1] == 0xBB && s[i+2] == 0xBF: // U+FEFF
			return false
		}
		prev = c
	}
	return true
}
