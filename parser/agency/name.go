package agency

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize returns the comparable form of an organ's printed name: full
// width folded to ASCII, white space and quotes removed, brackets of every
// kind (（）【】〔〕[]) folded to "(" and ")", and then the notes removed:
// bracketed text (（本级）, a second name the organ also bears), a trailing
// 本级 / 机关本级 / 本部, and the 党工委 printed before a 管委会
// (平潭综合实验区党工委管委会 is 平潭综合实验区管委会). It returns "" for a name
// that holds nothing else.
func Normalize(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		switch {
		case unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff':
			continue
		case r == '（' || r == '【' || r == '〔' || r == '[' || r == '［' || r == '〖':
			r = '('
		case r == '）' || r == '】' || r == '〕' || r == ']' || r == '］' || r == '〗':
			r = ')'
		case r >= 0xFF01 && r <= 0xFF5E:
			r = r - 0xFF01 + '!'
		case strings.ContainsRune("“”‘’\"'《》「」『』·•", r):
			continue
		}
		b.WriteRune(r)
	}
	s := dropBracketed(b.String())
	for _, note := range []string{"机关本级", "本级", "本部"} {
		if strings.HasSuffix(s, note) && utf8.RuneCountInString(s) > utf8.RuneCountInString(note)+1 {
			s = strings.TrimSuffix(s, note)
			break
		}
	}
	s = strings.Replace(s, "党工委、管委会", "管委会", 1)
	s = strings.Replace(s, "党工委管委会", "管委会", 1)
	return strings.Trim(s, "、，,.。:：-—_|/")
}

// dropBracketed removes every "(…)" (nesting counted) and an unclosed
// trailing "(…".
func dropBracketed(s string) string {
	if !strings.ContainsAny(s, "()") {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')':
			if depth > 0 {
				depth--
			}
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// divisionEnds are the characters an administrative division's name ends
// with (省, 市, 县, 区, 旗, 盟, 镇, 乡); 街道 and 自治州 are handled apart.
const divisionEnds = "省市县区旗盟镇乡"

// notDivisions are words that end like a division but are part of an
// organ's name (城市管理局, 城乡建设局).
var notDivisions = []string{"城市", "都市", "超市", "城乡", "城镇", "乡镇", "辖区", "市区", "郊区", "县区", "市县", "县市", "区县"}

// organWords never occur in a division's name; a candidate holding one is
// part of the organ's name.
var organWords = []string{"局", "委", "办", "厅", "部", "院", "所", "府", "会", "司", "处", "室", "站", "队", "中心", "管理", "人民", "和", "与", "及", "、", "(", ")"}

// Divisions returns the administrative divisions a name begins with, outer
// first: [江苏省 淮安市 洪泽区] for 江苏省淮安市洪泽区人民政府, [平潭综合实验区] for
// 平潭综合实验区市场监督管理局, none for 国家税务总局平潭综合实验区税务局 (which
// begins with an organ). The name is normalised first.
func Divisions(name string) []string {
	divs, _ := split(Normalize(name))
	return divs
}

// Division returns the division a name places its organ in, with its
// parents: 淮安市洪泽区 for 淮安市洪泽区人民政府, 衡阳市 for 衡阳市人防办, "" when
// the name begins with no division.
func Division(name string) string {
	return strings.Join(Divisions(name), "")
}

// StripParents returns the normalised name without its parent divisions:
// 洪泽区人民政府 for 淮安市洪泽区人民政府. A name with one division or none is
// returned normalised.
func StripParents(name string) string {
	divs, organ := split(Normalize(name))
	if len(divs) == 0 {
		return Normalize(name)
	}
	return divs[len(divs)-1] + organ
}

// split cuts a normalised name into its leading divisions and the rest.
func split(s string) (divs []string, organ string) {
	for s != "" {
		d := nextDivision(s)
		if d == "" {
			break
		}
		divs = append(divs, d)
		s = s[len(d):]
	}
	return divs, s
}

// nextDivision returns the division s begins with, or "": the shortest
// prefix of 2 to 12 characters that ends like a division, holds no organ
// word and is not a word that only looks like one.
func nextDivision(s string) string {
	n := 0
	for i, r := range s {
		n++
		if n > 12 {
			return ""
		}
		end := i + utf8.RuneLen(r)
		switch {
		case n >= 2 && strings.ContainsRune(divisionEnds, r):
		case n >= 3 && r == '州' && strings.HasSuffix(s[:end], "自治州"):
		case n >= 3 && r == '道' && strings.HasSuffix(s[:end], "街道"):
		default:
			continue
		}
		cand := s[:end]
		for _, w := range organWords {
			if strings.Contains(cand, w) {
				return ""
			}
		}
		stop := false
		for _, w := range notDivisions {
			if strings.HasSuffix(cand, w) {
				stop = true
				break
			}
		}
		if !stop {
			return cand
		}
	}
	return ""
}

// A ShortForm is a short or variant form of the organ part of a name and
// the full form it stands for.
type ShortForm struct {
	Short string
	Full  string
}

// shortForms is the table behind Expand, longest short forms first
// within each organ. Sources: the organs' own names after the 2018–2019
// 机构改革, and the short forms their reports, metadata blocks and list
// pages print (区发改局, 市政府办, 衡阳市人防办).
var shortForms = []ShortForm{
	{"人防办公室", "人民防空办公室"},
	{"人防办", "人民防空办公室"},
	{"发展改革委员会", "发展和改革委员会"},
	{"发展改革委", "发展和改革委员会"},
	{"发改委", "发展和改革委员会"},
	{"发展改革局", "发展和改革局"},
	{"发改局", "发展和改革局"},
	{"人力资源社会保障局", "人力资源和社会保障局"},
	{"人力社保局", "人力资源和社会保障局"},
	{"人社局", "人力资源和社会保障局"},
	{"人社厅", "人力资源和社会保障厅"},
	{"市场监管局", "市场监督管理局"},
	{"市监局", "市场监督管理局"},
	{"住房城乡建设局", "住房和城乡建设局"},
	{"住建局", "住房和城乡建设局"},
	{"住建委", "住房和城乡建设委员会"},
	{"自然资源规划局", "自然资源和规划局"},
	{"自规局", "自然资源和规划局"},
	{"资规局", "自然资源和规划局"},
	{"生态局", "生态环境局"},
	{"卫生和健康委员会", "卫生健康委员会"},
	{"卫生健康委", "卫生健康委员会"},
	{"卫健委", "卫生健康委员会"},
	{"卫健局", "卫生健康局"},
	{"教育和体育局", "教育体育局"},
	{"教体局", "教育体育局"},
	{"文化旅游局", "文化和旅游局"},
	{"文旅局", "文化和旅游局"},
	{"文化广电旅游局", "文化广电和旅游局"},
	{"文广旅局", "文化广电和旅游局"},
	{"交通局", "交通运输局"},
	{"交运局", "交通运输局"},
	{"应急局", "应急管理局"},
	{"医保局", "医疗保障局"},
	{"城管局", "城市管理局"},
	{"科技局", "科学技术局"},
	{"工信局", "工业和信息化局"},
	{"退役军人局", "退役军人事务局"},
	{"民宗局", "民族宗教事务局"},
	{"审批局", "行政审批局"},
	{"管委会", "管理委员会"},
	{"政府办公室", "人民政府办公室"},
	{"政府办", "人民政府办公室"},
	{"府办", "人民政府办公室"},
	{"政府", "人民政府"},
}

// ShortForms returns the table Expand uses: each short or variant form of
// an organ part and its full form, in the order they are tried.
func ShortForms() []ShortForm {
	return append([]ShortForm(nil), shortForms...)
}

// Expand returns the normalised name with the organ part (what follows the
// divisions) in full form: 衡阳市人民防空办公室 for 衡阳市人防办, 洪泽区人民政府 for
// 洪泽区政府, 某街道办事处 for 某街道办. Only the end of the organ part is
// rewritten, by the first (longest) table entry it ends with, and not when
// it already ends with that entry's full form (行政审批局 ends with 审批局,
// 人民政府 with 政府).
func Expand(name string) string {
	divs, organ := split(Normalize(name))
	prefix := strings.Join(divs, "")
	if organ == "办" && len(divs) > 0 && strings.HasSuffix(divs[len(divs)-1], "街道") {
		return prefix + "办事处"
	}
	for _, a := range shortForms {
		if strings.HasSuffix(organ, a.Short) {
			if strings.HasSuffix(organ, a.Full) {
				break
			}
			return prefix + strings.TrimSuffix(organ, a.Short) + a.Full
		}
	}
	return prefix + organ
}

// Match grades how two printed names relate, from Different to Same.
type Match int

// Match levels, weakest first.
const (
	// Different: nothing says the two names are one organ.
	Different Match = iota
	// Abbreviation: the names are equal once common short forms are
	// written out (衡阳市人防办, 衡阳市人民防空办公室), possibly also differing
	// by parent divisions.
	Abbreviation
	// ParentDivision: one name only adds parent divisions to the other
	// (淮安市洪泽区人民政府, 洪泽区人民政府).
	ParentDivision
	// Same: the names are equal after Normalize (notes such as （本级）
	// and width, space and bracket differences do not count).
	Same
)

// String returns the level's name: "same", "parent_division",
// "abbreviation" or "different".
func (m Match) String() string {
	switch m {
	case Same:
		return "same"
	case ParentDivision:
		return "parent_division"
	case Abbreviation:
		return "abbreviation"
	}
	return "different"
}

// Compare grades two printed names and says why in one line. It never
// decides that two organs are one: the register merges names only when an
// organ code or the site also agrees, and proposes the merge otherwise. A
// name without a division is never matched to one with a division by
// ParentDivision (司法局 could be anyone's). Empty names are Different.
func Compare(a, b string) (Match, string) {
	na, nb := Normalize(a), Normalize(b)
	if na == "" || nb == "" {
		return Different, "a name is empty"
	}
	if na == nb {
		if a == b {
			return Same, "identical"
		}
		return Same, fmt.Sprintf("identical after normalisation (%s)", na)
	}
	if why, ok := parentsOnly(na, nb); ok {
		return ParentDivision, why
	}
	ea, eb := Expand(na), Expand(nb)
	if ea == eb {
		return Abbreviation, fmt.Sprintf("%s and %s both stand for %s", na, nb, ea)
	}
	if why, ok := parentsOnly(ea, eb); ok {
		return Abbreviation, fmt.Sprintf("written out, %s", why)
	}
	return Different, fmt.Sprintf("%s and %s are different names", na, nb)
}

// parentsOnly reports whether one normalised name only adds parent
// divisions to the other, and says which.
func parentsOnly(a, b string) (string, bool) {
	da, oa := split(a)
	db, ob := split(b)
	if oa != ob || len(da) == 0 || len(db) == 0 || len(da) == len(db) {
		return "", false
	}
	long, short, ln, sn := da, db, a, b
	if len(db) > len(da) {
		long, short, ln, sn = db, da, b, a
	}
	extra := len(long) - len(short)
	for i := range short {
		if short[i] != long[extra+i] {
			return "", false
		}
	}
	return fmt.Sprintf("%s adds the parent division %s to %s", ln, strings.Join(long[:extra], ""), sn), true
}
