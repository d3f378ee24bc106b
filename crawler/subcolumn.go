package crawler

import (
	"net/url"
	"regexp"
)

// Sub-columns of a 年报 column (issue 14). County and district sites split
// their annual-report column by the kind of organ: 政府年报 / 部门年报 /
// 乡镇年报 (also 街道年报, 区直部门, 县直单位, 镇街…), each its own paginated
// list. A name that says 年报 (部门年报, 乡镇（街道）年报) is a column wherever
// it appears (columnRe). A bare organ name (区直部门, 镇街, 乡镇) is also the
// name of unrelated columns (机构设置 › 区直部门), so it is followed only
// where the page and the menu say it divides a 年报 column: see subColumns.
var (
	// weakSubColumnRe matches a bare organ-kind name, after normTitle.
	weakSubColumnRe = regexp.MustCompile(`^(?:各)?(?:` +
		`(?:区|县|市|旗)(?:直|级|属)(?:各)?(?:部门|单位|机关|机构)?` +
		`|(?:区|县|市|旗)?政府(?:本级)?` +
		`|(?:政府)?(?:组成)?部门|单位|机关` +
		`|乡镇|乡|镇|街道|镇街|街镇|苏木乡镇|乡镇街道|乡镇[（(]街道[）)]|镇[（(]街道[）)]|本级` +
		`)$`)
	// annualRe marks a page (by its title, breadcrumb or the link that led
	// to it) as part of a 年报 column.
	annualRe = regexp.MustCompile(`年报|年度报告`)
)

// annualContext reports whether a list page belongs to a 年报 column: its
// <title>, its breadcrumb (当前位置：首页 > 政务公开 > 信息公开年报) or the
// text of the link that led to it names 年报/年度报告, and is no companion
// page (年报解读).
func annualContext(it Item, p pageInfo) bool {
	for _, s := range []string{p.title, p.crumb, it.LinkText} {
		n := normTitle(s)
		if n != "" && annualRe.MatchString(n) && !excludeRe.MatchString(n) {
			return true
		}
	}
	return false
}

// columnLike reports whether a normalised link label names a column of a
// 年报 column: a 年报 column or sub-column (columnRe), a year folder, or a
// bare organ-kind name.
func columnLike(lab string) bool {
	return lab != "" && !excludeRe.MatchString(lab) && (columnRe.MatchString(lab) || weakSubColumnRe.MatchString(lab))
}

// subColumns returns the bare-named sub-columns (区直部门, 镇街…) of a list
// page, to be followed as list pages. A link qualifies when:
//   - the page belongs to a 年报 column (annualContext), and
//   - it sits in a menu of columns: its block (the innermost container)
//     holds at least two column-like links, and they are at least two
//     thirds of the block's links. A site's main menu (首页, 机构概况, 区直部门,
//     政务公开, 信息公开年报…) fails this; the tab bar of a 年报 column (政府年报,
//     区直部门, 镇街) passes.
//
// Nothing is returned when the site has a ListPattern (it replaces the
// column heuristics).
func (r *run) subColumns(it Item, base *url.URL, p pageInfo, charset string) []Item {
	if r.match.list != nil || !annualContext(it, p) {
		return nil
	}
	type tally struct{ links, columns int }
	blocks := map[int]*tally{}
	for _, l := range p.links {
		if l.block == 0 || l.frame {
			continue
		}
		b := blocks[l.block]
		if b == nil {
			b = &tally{}
			blocks[l.block] = b
		}
		b.links++
		if columnLike(normTitle(l.label())) {
			b.columns++
		}
	}
	var items []Item
	for _, l := range p.links {
		lab := normTitle(l.label())
		if l.block == 0 || l.frame || !weakSubColumnRe.MatchString(lab) {
			continue
		}
		if b := blocks[l.block]; b.columns < 2 || 3*b.columns < 2*b.links {
			continue
		}
		u, ok := resolveIn(base, l.href, charset)
		if !ok || !r.allowedHost(u.Hostname()) || isAttachment(u) {
			continue
		}
		items = append(items, Item{URL: u.String(), Kind: KindList, Parent: it.URL, LinkText: l.label()})
	}
	return items
}
