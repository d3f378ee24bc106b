package parser

import (
	"encoding/binary"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reads a report's text structure, for the research layer
// (parser/panel): which of the six sections of the national templates its
// headings name, how much its section 五 says, and a compact fingerprint of
// its prose for copy detection. It keeps nothing of the text itself except
// section 五 when that is short (the evidence for "empty").

// Section IDs, in template order (国办公开办函〔2019〕60号 and 〔2021〕30号
// both have these six sections).
const (
	SectionOverview = "s1" // 一、总体情况
	SectionActive   = "s2" // 二、主动公开政府信息情况
	SectionRequests = "s3" // 三、收到和处理政府信息公开申请情况
	SectionAppeals  = "s4" // 四、政府信息公开行政复议、行政诉讼情况
	SectionProblems = "s5" // 五、存在的主要问题及改进情况
	SectionOther    = "s6" // 六、其他需要报告的事项
)

// Sections lists the six section IDs in template order, and SectionTitles
// their headings as the templates print them.
var (
	Sections      = []string{SectionOverview, SectionActive, SectionRequests, SectionAppeals, SectionProblems, SectionOther}
	SectionTitles = map[string]string{
		SectionOverview: "一、总体情况",
		SectionActive:   "二、主动公开政府信息情况",
		SectionRequests: "三、收到和处理政府信息公开申请情况",
		SectionAppeals:  "四、政府信息公开行政复议、行政诉讼情况",
		SectionProblems: "五、存在的主要问题及改进情况",
		SectionOther:    "六、其他需要报告的事项",
	}
)

// Outline is a report's text structure, read from its lines. It is nil on
// a Report whose input has no text (a .doc, an image, a scan) and on
// reports parsed before outlines existed; a nil Outline means "unknown",
// never "no sections".
type Outline struct {
	// Sections are the IDs of the sections whose heading the report
	// prints, in template order. A heading is recognised by its numeral
	// (一 … 六, "第一部分") and its words, tolerant of variants (概述 for
	// 总体情况, 依申请公开 for 收到和处理…申请, 改进措施 for 改进情况), or,
	// unnumbered, by the template's full wording.
	Sections []string `json:"sections"`
	// Section5Runes counts the letters and digits of section 五 (existing
	// problems and improvements) below its heading, leaving out its
	// sub-headings ("（一）存在的主要问题", "（二）改进措施"); -1 when the
	// report has no 五 heading.
	Section5Runes int `json:"section5_runes"`
	// Section5 is section 五's text (letters and digits only) when it is
	// at most Section5Keep runes long, the evidence for an empty or
	// boilerplate section; "" otherwise.
	Section5 string `json:"section5,omitempty"`
	// ProseRunes counts the letters and digits of the prose that the
	// fingerprint covers, and Shingles its distinct 5-character shingles.
	ProseRunes int `json:"prose_runes"`
	Shingles   int `json:"shingles"`
	// MinHash is the fingerprint of the prose: MinHashBins 16-bit values of
	// a one-permutation MinHash with optimal densification over the
	// shingles (little-endian, base64 in JSON); nil when the report has no
	// prose. Two outlines' fingerprints estimate the Jaccard similarity of
	// their shingle sets: see ProseSimilarity.
	MinHash []byte `json:"minhash,omitempty"`
}

// Fingerprint parameters. Changing any of them changes every stored
// fingerprint: bump Version with them.
const (
	// ShingleLen is the length in characters of a prose shingle.
	ShingleLen = 5
	// MinHashBins is the number of 16-bit values of a fingerprint.
	MinHashBins = 128
	// Section5Keep is the longest section 五 kept as text.
	Section5Keep = 60
)

// ProseSimilarity estimates the Jaccard similarity of the prose shingle
// sets of a and b (0 to 1) as the share of equal fingerprint values. ok is
// false when either has no fingerprint. With MinHashBins = 128 the
// estimate's standard error is about √(J(1−J)/128): ±0.027 at J = 0.9.
func ProseSimilarity(a, b *Outline) (sim float64, ok bool) {
	if a == nil || b == nil || len(a.MinHash) != 2*MinHashBins || len(b.MinHash) != 2*MinHashBins {
		return 0, false
	}
	eq := 0
	for i := 0; i < 2*MinHashBins; i += 2 {
		if a.MinHash[i] == b.MinHash[i] && a.MinHash[i+1] == b.MinHash[i+1] {
			eq++
		}
	}
	return float64(eq) / MinHashBins, true
}

// readOutline reads the outline of doc; nil when doc has no lines.
func readOutline(doc *document) *Outline {
	if len(doc.lines) == 0 {
		return nil
	}
	o := &Outline{Section5Runes: -1}
	type found struct{ line, rest int } // rest: byte offset of the text after the heading words
	var at [6]found
	for i := range at {
		at[i].line = -1
	}
	var heads []int // line indexes of recognised headings, in order
	for i := range doc.lines {
		sec, rest := sectionHeading(doc.lines[i].text)
		if sec < 0 {
			continue
		}
		heads = append(heads, i)
		if at[sec].line < 0 {
			at[sec] = found{i, rest}
		}
	}
	for s, f := range at {
		if f.line >= 0 {
			o.Sections = append(o.Sections, Sections[s])
		}
	}

	// The prose runs from the first heading (the preamble before it is the
	// template's boilerplate and the page's navigation) to the end.
	from := 0
	if len(heads) > 0 {
		from = heads[0]
	}
	var ps proseScanner
	for i := from; i < len(doc.lines); i++ {
		ps.add(&doc.lines[i])
	}
	ps.flush()
	slices.Sort(ps.hashes)
	ps.hashes = slices.Compact(ps.hashes)
	o.ProseRunes, o.Shingles = ps.runes, len(ps.hashes)
	if len(ps.hashes) > 0 {
		o.MinHash = minHash(ps.hashes)
	}

	// Section 五: to the next heading, or, when it is the last heading, its
	// sentences only (what follows the report on a page is navigation).
	if f := at[4]; f.line >= 0 {
		end := len(doc.lines)
		for _, h := range heads {
			if h > f.line {
				end = h
				break
			}
		}
		var text strings.Builder
		if end < len(doc.lines) {
			writeS5(&text, doc.lines[f.line].text[f.rest:])
			for i := f.line + 1; i < end; i++ {
				writeS5(&text, doc.lines[i].text)
			}
		} else {
			var s5 proseScanner
			s5.keep = &text
			s5.addText(doc.lines[f.line].text[f.rest:])
			for i := f.line + 1; i < end; i++ {
				s5.add(&doc.lines[i])
			}
			s5.flush()
		}
		o.Section5Runes = utf8.RuneCountInString(text.String())
		if o.Section5Runes <= Section5Keep {
			o.Section5 = text.String()
		}
	}
	return o
}

// writeS5 appends the letters and digits of one line of section 五 to b,
// unless the line is a sub-heading made of the section's own words
// ("（一）存在的主要问题", "2.改进措施").
func writeS5(b *strings.Builder, line string) {
	core := letters(line, false)
	if n := utf8.RuneCountInString(core); n > 0 && n <= 12 && containsAny(core, "问题", "改进", "措施") {
		if c := labelCore(line); c == core || strings.HasSuffix(core, c) {
			return
		}
	}
	b.WriteString(core)
}

// letters returns the Han characters, letters and digits of s, width
// folded and simplified; with fold, digit runs become one '#'.
func letters(s string, fold bool) string {
	return string(appendLetters(make([]byte, 0, len(s)), s, fold))
}

// appendLetters appends letters(s, fold) to b.
func appendLetters(b []byte, s string, fold bool) []byte {
	digit := false
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full width
			r = r - 0xFF01 + '!'
		case r >= 0x4E00 && r <= 0x9FFF:
			r, _ = simpRune(r)
			b = utf8.AppendRune(b, r)
			digit = false
			continue
		}
		switch {
		case r >= '0' && r <= '9':
			if !fold {
				b = append(b, byte(r))
			} else if !digit {
				b = append(b, '#')
			}
			digit = true
			continue
		case r >= 'a' && r <= 'z':
			b = append(b, byte(r))
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r+'a'-'A'))
		case r >= utf8.RuneSelf && (unicode.Is(unicode.Han, r) || unicode.IsLetter(r)):
			b = utf8.AppendRune(b, r)
		}
		digit = false
	}
	return b
}

// sectionHeading recognises a heading of one of the six sections: it
// returns the section's index (0–5) and the byte offset in s after the
// heading's words, or -1.
//
// Numbered: "一、总体情况", "二 、主动公开政府信息情况", "第三部分 …",
// "四．…行政复议…", with the section's words in the first 24 characters
// after the numeral (a heading may run on into its text). The template's
// own words (收到和处理, 存在的主要问题, 其他需要报告…) are recognised under
// any numeral, for reports that leave a section out and renumber; looser
// words (概述, 依申请, 问题, 改进…) only under the section's own numeral.
// Parenthesised numerals ("（一）主动公开") are sub-headings, and table 三's
// numbered rows ("一、本年新收…", "四、结转下年度…") name none of the
// sections' words. Unnumbered: a short line (at most 24 characters) that
// holds the template's wording ("主动公开政府信息情况"), so that a menu
// item ("主动公开") is not one.
func sectionHeading(s string) (int, int) {
	if len(s) > 600 {
		return -1, 0
	}
	t := strings.TrimLeftFunc(s, func(r rune) bool { return isSpace(r) || r == '*' || r == '#' })
	r, size := utf8.DecodeRuneInString(t)
	if !strings.ContainsRune("一二三四五六第", r) && len(t) > 24*3+8 {
		return -1, 0 // neither numbered nor short: not a heading
	}
	t = foldWidth(t)
	r, size = utf8.DecodeRuneInString(t)
	numeral := -1
	rest := t
	switch {
	case r == '第':
		r2, n2 := utf8.DecodeRuneInString(t[size:])
		if i := strings.IndexRune("一二三四五六", r2); i >= 0 {
			after := t[size+n2:]
			for _, suf := range []string{"部分", "章", "节", "项"} {
				if strings.HasPrefix(after, suf) {
					rest, numeral = after[len(suf):], i/3 // the numerals are 3 bytes each
					break
				}
			}
		}
	case strings.ContainsRune("一二三四五六", r):
		after := strings.TrimLeftFunc(t[size:], isSpace)
		sep, n := utf8.DecodeRuneInString(after)
		switch {
		case strings.ContainsRune("、.,，:：．", sep):
			rest, numeral = after[n:], strings.IndexRune("一二三四五六", r)/3
		case len(after) < len(t[size:]) && unicode.Is(unicode.Han, sep) && !strings.ContainsRune("一二三四五六七八九十", sep):
			// "一 总体情况": a space instead of 、.
			rest, numeral = after, strings.IndexRune("一二三四五六", r)/3
		}
	}
	var core string
	if numeral >= 0 {
		core = spaceless(firstRunes(rest, 24)) // the heading's words come first; text may follow
	} else {
		if strings.HasPrefix(t, "(") || strings.HasPrefix(t, "（") || strings.ContainsRune(t, '。') || utf8.RuneCountInString(t) > 24 {
			return -1, 0
		}
		core = spaceless(t)
	}
	sec := -1
	switch {
	case numeral < 0:
		switch {
		case core == "总体情况" || core == "概述":
			sec = 0
		case strings.Contains(core, "主动公开政府信息情况"):
			sec = 1
		case strings.Contains(core, "收到和处理政府信息公开申请情况"):
			sec = 2
		case strings.Contains(core, "行政复议") && strings.Contains(core, "行政诉讼") && strings.Contains(core, "情况"):
			sec = 3
		case strings.Contains(core, "存在的主要问题"):
			sec = 4
		case strings.Contains(core, "其他需要报告的事项"):
			sec = 5
		}
	case strings.Contains(core, "总体情况"):
		sec = 0
	case containsAny(core, "主动公开政府信息", "政府信息主动公开"):
		sec = 1
	case containsAny(core, "收到和处理", "依申请公开政府信息"):
		sec = 2
	case strings.Contains(core, "行政复议") && strings.Contains(core, "行政诉讼"):
		sec = 3
	case containsAny(core, "存在的主要问题", "问题及改进", "问题和改进"):
		sec = 4
	case strings.Contains(core, "其他需要报告"):
		sec = 5
	default:
		// Looser words, under the section's own numeral only.
		loose := [][]string{
			{"概述", "基本情况", "总体"},
			{"主动公开"},
			{"依申请", "申请公开", "申请情况"},
			{"行政复议", "行政诉讼", "复议", "诉讼"},
			{"问题", "改进"},
			{"其他事项", "需要报告", "其他"},
		}
		if containsAny(core, loose[numeral]...) {
			sec = numeral
		}
	}
	if sec < 0 {
		return -1, 0
	}
	return sec, restOffset(s, sec)
}

// spaceless returns s simplified, without white space.
func spaceless(s string) string {
	return simplify(strings.Map(func(r rune) rune {
		if isSpace(r) {
			return -1
		}
		return r
	}, s))
}

// restOffset returns the byte offset in s just after the section's heading
// words, so that "五、存在的主要问题及改进情况：无。" leaves "：无。". When
// the words are not found literally (traditional characters, spaces
// inside), the whole line counts as heading.
func restOffset(s string, sec int) int {
	ends := [][]string{
		{"总体情况", "概述", "基本情况"},
		{"主动公开政府信息情况", "政府信息主动公开情况", "主动公开情况", "主动公开"},
		{"收到和处理政府信息公开申请情况", "依申请公开政府信息情况", "依申请公开情况", "依申请公开"},
		{"行政诉讼情况", "行政复议情况", "行政诉讼", "行政复议"},
		{"改进情况", "改进措施", "改进工作", "问题"},
		{"其他需要报告的事项", "其他需要报告事项", "其他事项"},
	}[sec]
	for _, e := range ends {
		if i := strings.Index(s, e); i >= 0 && i < 120 {
			return i + len(e)
		}
	}
	return len(s)
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// Prose selection. A fingerprint covers the report's own sentences: text
// that ends in 。！？； and holds at least minSentence letters, leaving out
// the template's boilerplate (the preamble's 《条例》 and 统计期限 sentences,
// the contact and 电子版 sentences) and the page's furniture (browser hints,
// 版权所有, 备案号), which every report of a site or of the country shares
// and which would make unrelated reports look alike. Digit runs are folded
// to one '#', so that a report copied with only its year or numbers changed
// has the fingerprint of the original.
const minSentence = 6

var proseStop = []string{
	// the template's and the page's boilerplate
	"以下简称", "统计期限", "本报告", "电子版", "如对本报告", "邮编", "邮政编码",
	"浏览器", "版权所有", "备案", "网站标识码", "主办单位", "即将离开", "无障碍",
}

// proseScanner cuts lines into sentences and hashes their shingles.
type proseScanner struct {
	piece  strings.Builder // the sentence being read
	hashes []uint64        // shingle hashes, with repeats
	runes  int
	keep   *strings.Builder // when set, kept sentences' letters are written here
	buf    []byte           // scratch for a sentence's letters
}

// add reads one line. A short line without sentence punctuation (a
// heading, a table cell, a menu item, a signature) ends the current piece
// and is dropped; a table row of several cells is dropped.
func (p *proseScanner) add(l *line) {
	if l.table && len(l.cells) > 1 {
		p.piece.Reset()
		return
	}
	p.addText(l.text)
}

func (p *proseScanner) addText(t string) {
	start := 0
	ended := false
	for i, r := range t {
		if isSentenceEnd(r) {
			p.piece.WriteString(t[start:i])
			p.sentence(p.piece.String())
			p.piece.Reset()
			start = i + utf8.RuneLen(r)
			ended = true
		}
	}
	if !ended && len(t) < 16*3 && utf8.RuneCountInString(t) < 16 {
		p.piece.Reset()
		return
	}
	p.piece.WriteString(t[start:])
}

func isSentenceEnd(r rune) bool {
	switch r {
	case '。', '！', '？', '；', '!', '?', ';':
		return true
	}
	return false
}

// flush drops an unfinished piece: text without a full stop is not prose.
func (p *proseScanner) flush() { p.piece.Reset() }

func (p *proseScanner) sentence(s string) {
	if boilerplate(s) {
		return
	}
	if p.keep != nil {
		p.keep.WriteString(letters(s, false))
		return
	}
	p.buf = appendLetters(p.buf[:0], s, true)
	l := p.buf
	n := utf8.RuneCount(l)
	if n < minSentence {
		return
	}
	p.runes += n
	// Shingles of ShingleLen runes, by a rolling window of rune starts.
	var starts [ShingleLen + 1]int
	k := 0
	for i := 0; i < len(l); {
		_, size := utf8.DecodeRune(l[i:])
		starts[k%(ShingleLen+1)] = i
		k++
		if k > ShingleLen {
			from := starts[(k-ShingleLen-1)%(ShingleLen+1)]
			p.hashes = append(p.hashes, hash64(l[from:i]))
		}
		i += size
	}
	if k >= ShingleLen {
		from := starts[(k-ShingleLen)%(ShingleLen+1)]
		p.hashes = append(p.hashes, hash64(l[from:]))
	}
}

// boilerplate reports whether sentence s holds one of proseStop: one pass
// over s, comparing only where a stop word's first character occurs.
func boilerplate(s string) bool {
	for i, r := range s {
		switch r {
		case '以', '统', '本', '电', '如', '邮', '浏', '版', '备', '网', '主', '即', '无':
			for _, w := range proseStop {
				if strings.HasPrefix(s[i:], w) {
					return true
				}
			}
		}
	}
	return false
}

// hash64 is FNV-1a followed by a splitmix64 finaliser: stable across
// processes and versions of Go (the fingerprint is stored).
func hash64(s []byte) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix64(h)
}

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// minHash computes a one-permutation MinHash (Li, Owen & Zhang 2012) with
// optimal densification (Shrivastava 2017): each shingle hash falls into
// one of MinHashBins bins by its top bits and each bin keeps its smallest
// hash; an empty bin borrows the value of the first non-empty bin that a
// fixed hash sequence of the bin's index reaches. The probability that two
// sets agree in a bin is their Jaccard similarity. Each bin's minimum is
// kept as its low 16 bits (a false agreement has probability 2⁻¹⁶).
func minHash(hashes []uint64) []byte {
	const shift = 64 - 7 // 2^7 = MinHashBins
	var mins [MinHashBins]uint64
	var set [MinHashBins]bool
	for _, h := range hashes {
		b := h >> shift
		v := h & (1<<shift - 1)
		if !set[b] || v < mins[b] {
			mins[b], set[b] = v, true
		}
	}
	out := make([]byte, 2*MinHashBins)
	for i := range MinHashBins {
		v, ok := mins[i], set[i]
		for attempt := uint64(1); !ok; attempt++ {
			j := mix64(uint64(i)<<32|attempt) % MinHashBins
			v, ok = mins[j], set[j]
		}
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v^v>>16^v>>32^v>>48))
	}
	return out
}
