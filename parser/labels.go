package parser

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Label matching is tolerant: labels arrive with ASCII or full-width
// brackets, "1." or "1、", broken by spaces, newlines and tags, in
// traditional characters on mirror sites, and with typos. A label is
// reduced to its core (numbering and punctuation removed, characters
// simplified) and then matched by keywords, falling back to a character
// similarity for typos.

// tradToSimp maps the traditional characters that occur in the template's
// labels and headings to their simplified forms.
var tradToSimp = map[rune]rune{
	'開': '开', '國': '国', '機': '机', '關': '关', '請': '请', '數': '数', '處': '处', '結': '结',
	'轉': '转', '無': '无', '與': '与', '規': '规', '範': '范', '書': '书', '許': '许', '強': '强',
	'費': '费', '總': '总', '計': '计', '議': '议', '訟': '讼', '訴': '诉', '維': '维', '糾': '纠',
	'審': '审', '經': '经', '復': '复', '後': '后', '類': '类', '務': '务', '過': '过', '執': '执',
	'詢': '询', '項': '项', '現': '现', '製': '制', '補': '补', '確': '确', '認': '认', '獲': '获',
	'資': '资', '護': '护', '權': '权', '內': '内', '險': '险', '穩': '稳', '繳': '缴', '納': '纳',
	'單': '单', '發': '发', '廢': '废', '決': '决', '額': '额', '統': '统', '為': '为', '屬': '属',
	'於': '于', '實': '实', '際': '际', '體': '体', '業': '业', '構': '构', '會': '会', '織': '织',
	'組': '组', '區': '区', '縣': '县', '報': '报', '訪': '访', '舉': '举', '購': '购', '採': '采',
	'個': '个', '條': '条', '訊': '讯', '學': '学', '僅': '仅', '據': '据', '產': '产', '辦': '办',
	'戶': '户', '團': '团', '級': '级', '營': '营', '準': '准', '歸': '归', '檔': '档', '託': '托',
	'職': '职', '貨': '货', '價': '价', '場': '场', '鎮': '镇', '鄉': '乡', '廳': '厅', '層': '层',
	'態': '态', '訂': '订', '頒': '颁', '佈': '布', '徵': '征', '幣': '币', '萬': '万', '餘': '余',
	'義': '义', '門': '门', '戰': '战', '傳': '传', '問': '问', '題': '题', '況': '况', '圍': '围',
	'園': '园', '點': '点', '並': '并', '應': '应', '當': '当', '讓': '让', '從': '从', '來': '来',
	'時': '时', '間': '间', '違': '违', '對': '对', '達': '达', '歷': '历', '將': '将', '號': '号',
	'說': '说', '選': '选', '龍': '龙', '儲': '储', '證': '证', '衛': '卫', '擔': '担', '環': '环',
	'陳': '陈', '導': '导', '專': '专',
}

// simpTable is tradToSimp as an array over the CJK Unified Ideographs
// block, where every character it maps lies: a lookup per rune is an index,
// not a hash.
var simpTable = func() []rune {
	t := make([]rune, 0x9FFF-0x4E00+1)
	for from, to := range tradToSimp {
		if from >= 0x4E00 && from <= 0x9FFF {
			t[from-0x4E00] = to
		}
	}
	return t
}()

func simpRune(r rune) (rune, bool) {
	if r < 0x4E00 || r > 0x9FFF {
		return r, false
	}
	if s := simpTable[r-0x4E00]; s != 0 {
		return s, true
	}
	return r, false
}

// simplify maps traditional characters to simplified ones.
func simplify(s string) string {
	for _, r := range s {
		if _, ok := simpRune(r); ok {
			return strings.Map(func(r rune) rune {
				s, _ := simpRune(r)
				return s
			}, s)
		}
	}
	return s
}

// numeralRunes are the characters a numbering prefix is made of.
func isNumeral(r rune) bool {
	if r >= '0' && r <= '9' {
		return true
	}
	switch r {
	case '一', '二', '三', '四', '五', '六', '七', '八', '九', '十':
		return true
	}
	return false
}

// labelCore reduces a label to the characters that carry its meaning: it
// folds width, simplifies, removes a leading numbering ("（一）", "(1)",
// "三、", "1.", "1、", "一．") and then every character that is not a letter
// or digit (spaces, brackets, punctuation, quotes).
func labelCore(s string) string {
	s = stripNumbering(simplify(foldWidth(s)))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				b.WriteByte(byte(r))
			}
			continue
		}
		if unicode.Is(unicode.Han, r) || unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stripNumbering removes leading numbering such as "（一）", "(1)", "三、",
// "1.", "2、", possibly repeated or doubled ("三三、"), and spaces. s must
// be width-folded (ASCII brackets and digits).
func stripNumbering(s string) string {
	for {
		s = strings.TrimLeftFunc(s, isSpace)
		if s == "" {
			return s
		}
		r, n := utf8.DecodeRuneInString(s)
		if r == '(' || r == '（' {
			i := n
			for i < len(s) {
				c, m := utf8.DecodeRuneInString(s[i:])
				if !isNumeral(c) && !isSpace(c) {
					break
				}
				i += m
			}
			if i > n && i < len(s) {
				if c, m := utf8.DecodeRuneInString(s[i:]); c == ')' || c == '）' {
					s = s[i+m:]
					continue
				}
			}
			return s
		}
		i := 0
		for i < len(s) {
			c, m := utf8.DecodeRuneInString(s[i:])
			if !isNumeral(c) && !isSpace(c) {
				break
			}
			i += m
		}
		if i > 0 && i < len(s) {
			if c, m := utf8.DecodeRuneInString(s[i:]); strings.ContainsRune("、.．,，:：", c) {
				s = s[i+m:]
				continue
			}
		}
		return s
	}
}

// leadingNumeral returns the first numeral of a label's numbering ("三" for
// "三、收到和处理…"), or 0.
func leadingNumeral(s string) rune {
	for _, r := range simplify(foldWidth(s)) {
		if isSpace(r) || r == '(' || r == '（' {
			continue
		}
		if isNumeral(r) {
			return r
		}
		return 0
	}
	return 0
}

// similarity returns the length of the longest common subsequence of a and
// b divided by the longer length: 1 for equal strings, near 0 for
// unrelated ones. It tolerates a dropped or changed character or two
// ("其他法律行政止公开" against "其他法律行政法规禁止公开" scores 0.75).
func similarity(ra, rb []rune) float64 {
	if len(ra) == 0 || len(rb) == 0 {
		return 0
	}
	if len(ra) > 64 || len(rb) > 64 {
		return 0
	}
	var prev, cur [65]int
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			switch {
			case ra[i-1] == rb[j-1]:
				cur[j] = prev[j-1] + 1
			case prev[j] >= cur[j-1]:
				cur[j] = prev[j]
			default:
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	n := max(len(ra), len(rb))
	return float64(prev[len(rb)]) / float64(n)
}
