package parser

import (
	"math"
	"regexp"
	"slices"
	"strings"
)

// A PDF has no rows or cells, only glyphs at coordinates and the path
// objects that draw the table rules. This file rebuilds lines from them:
//
//   - Ruled tables (what WPS and Word exports print): the thin path objects
//     are the rules; they define a grid, cells that no rule separates are
//     merged (rowspan/colspan), and every glyph goes to the cell that holds
//     its centre. A cell's glyphs are joined in reading order whatever their
//     layout, so a label wrapped over two lines, a vertical label printed one
//     character per line and a header split as "商 业 企 / 业" each come out
//     as one cell, on the row where the rules put them, and no number is
//     ever split or merged with its neighbour.
//   - A table that continues on the next page is joined to its first part:
//     a row-label cell cut by the page break ("（四）无" / "法提供") becomes one
//     cell again, and an empty label cell at the top of the new page
//     continues the label above it.
//   - Everything outside ruled tables becomes text lines: glyphs grouped
//     into lines by vertical overlap and into cells by horizontal gaps, with
//     page numbers dropped.
//
// Coordinates are PDF points with y growing upwards.

// pdfChar is one glyph and its box.
type pdfChar struct {
	r           rune
	l, b, rt, t float64
	angle       float64
}

func (c pdfChar) cx() float64 { return (c.l + c.rt) / 2 }
func (c pdfChar) cy() float64 { return (c.b + c.t) / 2 }
func (c pdfChar) h() float64  { return c.t - c.b }

// pdfRect is the bounding box of a path object, and whether the path is
// stroked (drawn as an outline) rather than only filled.
type pdfRect struct {
	l, b, r, t float64
	stroked    bool
}

// pdfPage is what the engine reads from one page.
type pdfPage struct {
	w, h   float64
	chars  []pdfChar
	rects  []pdfRect
	images int
}

// pathPoint is one point of a path in page coordinates: the end of a
// move, line or curve segment.
type pathPoint struct {
	x, y               float64
	move, curve, close bool
}

// pathRules finds the rules a path draws: each subpath that is a thin
// shape (a filled hairline rectangle, a single line), and, when the path
// is stroked, each horizontal or vertical straight segment (a stroked cell
// outline or a grid drawn as one path). A filled shape that is not thin is
// a background and draws no rule.
func pathRules(pts []pathPoint, stroked bool) []pdfRect {
	var out []pdfRect
	flush := func(sub []pathPoint) {
		if len(sub) == 0 {
			return
		}
		l, b, r, t := sub[0].x, sub[0].y, sub[0].x, sub[0].y
		for _, p := range sub {
			l, r = min(l, p.x), max(r, p.x)
			b, t = min(b, p.y), max(t, p.y)
		}
		if (r-l <= ruleMaxWidth && t-b >= ruleMinLen) || (t-b <= ruleMaxWidth && r-l >= ruleMinLen) {
			out = append(out, pdfRect{l: l, b: b, r: r, t: t})
			return
		}
		if !stroked {
			return
		}
		seg := func(p, q pathPoint) {
			dx, dy := math.Abs(q.x-p.x), math.Abs(q.y-p.y)
			switch {
			case dy <= 0.5 && dx >= ruleMinLen:
				out = append(out, pdfRect{l: min(p.x, q.x), r: max(p.x, q.x), b: p.y, t: p.y})
			case dx <= 0.5 && dy >= ruleMinLen:
				out = append(out, pdfRect{l: p.x, r: p.x, b: min(p.y, q.y), t: max(p.y, q.y)})
			}
		}
		for i := 1; i < len(sub); i++ {
			if !sub[i].curve {
				seg(sub[i-1], sub[i])
			}
		}
		if sub[len(sub)-1].close {
			seg(sub[len(sub)-1], sub[0])
		}
	}
	start := 0
	for i, p := range pts {
		if p.move && i > start {
			flush(pts[start:i])
			start = i
		}
	}
	flush(pts[start:])
	return out
}

const (
	ruleMaxWidth = 3.0 // a path thinner than this is a rule
	ruleMinLen   = 4.0
	gridTol      = 2.5 // rules closer than this are one grid line
)

type hRule struct{ y, x0, x1 float64 }
type vRule struct{ x, y0, y1 float64 }

// pdfGrid is one ruled table on a page.
type pdfGrid struct {
	ys []float64 // grid lines, top to bottom (descending)
	xs []float64 // grid lines, left to right
	// region[i][j] is the merged cell (index into regions) of elementary
	// cell (row i, column j).
	region  [][]int
	regions []*pdfRegion
	// valueCol[j] is true when column j holds a number in some row.
	valueCol []bool
}

// pdfRegion is one printed cell, possibly spanning rows and columns.
type pdfRegion struct {
	top, bottom, left, right int // elementary rows [top,bottom], columns [left,right]
	chars                    []pdfChar
	text                     string
	// extra, when set, holds the numbers of a region that prints several
	// (the rule between their columns is missing): r.text is then the
	// first and extra the rest, each emitted as its own cell.
	extra []string
	id    int // cell id of the origin cell once emitted
	cont  *pdfRegion
	// cont, when set, is the region on the previous page that this one
	// continues: its rows are continuation rows of cont's cell.
}

func (g *pdfGrid) contains(x, y float64) bool {
	return len(g.xs) > 1 && len(g.ys) > 1 && x >= g.xs[0]-1 && x <= g.xs[len(g.xs)-1]+1 && y <= g.ys[0]+1 && y >= g.ys[len(g.ys)-1]-1
}

// locate returns the region holding point (x, y), or nil.
func (g *pdfGrid) locate(x, y float64) *pdfRegion {
	if !g.contains(x, y) {
		return nil
	}
	j := 0
	for j < len(g.xs)-2 && x > g.xs[j+1] {
		j++
	}
	i := 0
	for i < len(g.ys)-2 && y < g.ys[i+1] {
		i++
	}
	return g.regions[g.region[i][j]]
}

// pdfFindGrids builds the ruled tables of a page from its path objects.
func pdfFindGrids(rects []pdfRect) []*pdfGrid {
	var hs []hRule
	var vs []vRule
	for _, r := range rects {
		w, h := r.r-r.l, r.t-r.b
		switch {
		case h <= ruleMaxWidth && w >= ruleMinLen:
			hs = append(hs, hRule{(r.t + r.b) / 2, r.l, r.r})
		case w <= ruleMaxWidth && h >= ruleMinLen:
			vs = append(vs, vRule{(r.l + r.r) / 2, r.b, r.t})
		case w > ruleMaxWidth && h > ruleMaxWidth && r.stroked:
			// A stroked rectangle (some writers draw each cell so): its
			// edges are rules. A filled one is a background (WPS shades
			// header rows and even paragraph lines so) and draws nothing.
			hs = append(hs, hRule{r.t, r.l, r.r}, hRule{r.b, r.l, r.r})
			vs = append(vs, vRule{r.l, r.b, r.t}, vRule{r.r, r.b, r.t})
		}
	}
	if len(hs) < 2 || len(vs) < 2 {
		return nil
	}
	// Connected components of crossing rules are tables.
	parent := make([]int, len(hs)+len(vs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i, h := range hs {
		for j, v := range vs {
			if v.x >= h.x0-gridTol && v.x <= h.x1+gridTol && h.y >= v.y0-gridTol && h.y <= v.y1+gridTol {
				parent[find(i)] = find(len(hs) + j)
			}
		}
	}
	comps := map[int][]int{}
	var order []int
	for i := range parent {
		r := find(i)
		if _, ok := comps[r]; !ok {
			order = append(order, r)
		}
		comps[r] = append(comps[r], i)
	}
	var grids []*pdfGrid
	for _, root := range order {
		var ch []hRule
		var cv []vRule
		for _, i := range comps[root] {
			if i < len(hs) {
				ch = append(ch, hs[i])
			} else {
				cv = append(cv, vs[i-len(hs)])
			}
		}
		if g := pdfBuildGrid(ch, cv); g != nil {
			grids = append(grids, g)
		}
	}
	return grids
}

// pdfCluster merges coordinates closer than gridTol.
func pdfCluster(vals []float64) []float64 {
	slices.Sort(vals)
	var out []float64
	var sum float64
	n := 0
	for i, v := range vals {
		if i > 0 && v-vals[i-1] > gridTol {
			out = append(out, sum/float64(n))
			sum, n = 0, 0
		}
		sum += v
		n++
	}
	if n > 0 {
		out = append(out, sum/float64(n))
	}
	return out
}

func pdfBuildGrid(hs []hRule, vs []vRule) *pdfGrid {
	var yv, xv []float64
	for _, h := range hs {
		yv = append(yv, h.y)
	}
	for _, v := range vs {
		xv = append(xv, v.x)
	}
	// A table cut by a page break often has no rule on the cut edge: the
	// vertical rules run on to where it was, so take their ends as edges
	// (and likewise the ends of horizontal rules for open sides).
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		lo, hi = min(lo, v.y0), max(hi, v.y1)
	}
	if len(vs) > 0 {
		yv = append(yv, lo, hi)
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, h := range hs {
		lo, hi = min(lo, h.x0), max(hi, h.x1)
	}
	if len(hs) > 0 {
		xv = append(xv, lo, hi)
	}
	ys := pdfCluster(yv)
	xs := pdfCluster(xv)
	slices.Reverse(ys)
	// At least two columns: a framed box or a bordered paragraph (WPS
	// draws them as one-column grids) is text, not a table.
	if len(ys) < 2 || len(xs) < 3 {
		return nil
	}
	nr, nc := len(ys)-1, len(xs)-1
	if nr*nc > maxGridCells {
		// Not a table anyone prints: a drawing (and its grid would cost
		// nr×nc memory).
		return nil
	}
	// vSep[i][j]: a rule separates columns j and j+1 in row i.
	vSep := make([][]bool, nr)
	for i := range nr {
		vSep[i] = make([]bool, nc)
		mid := (ys[i] + ys[i+1]) / 2
		for j := range nc - 1 {
			x := xs[j+1]
			for _, v := range vs {
				if math.Abs(v.x-x) <= gridTol && v.y0 <= mid && v.y1 >= mid {
					vSep[i][j] = true
					break
				}
			}
		}
	}
	// hSep[i][j]: a rule separates rows i and i+1 in column j.
	hSep := make([][]bool, nr)
	for i := range nr - 1 {
		hSep[i] = make([]bool, nc)
		y := ys[i+1]
		for j := range nc {
			mid := (xs[j] + xs[j+1]) / 2
			for _, h := range hs {
				if math.Abs(h.y-y) <= gridTol && h.x0 <= mid && h.x1 >= mid {
					hSep[i][j] = true
					break
				}
			}
		}
	}
	// Union elementary cells that no rule separates.
	parent := make([]int, nr*nc)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	for i := range nr {
		for j := range nc {
			if j < nc-1 && !vSep[i][j] {
				union(i*nc+j, i*nc+j+1)
			}
			if i < nr-1 && !hSep[i][j] {
				union(i*nc+j, (i+1)*nc+j)
			}
		}
	}
	g := &pdfGrid{ys: ys, xs: xs, region: make([][]int, nr)}
	idx := map[int]int{}
	for i := range nr {
		g.region[i] = make([]int, nc)
		for j := range nc {
			root := find(i*nc + j)
			k, ok := idx[root]
			if !ok {
				k = len(g.regions)
				idx[root] = k
				g.regions = append(g.regions, &pdfRegion{top: i, bottom: i, left: j, right: j})
			}
			r := g.regions[k]
			r.bottom = max(r.bottom, i)
			r.right = max(r.right, j)
			r.left = min(r.left, j)
			g.region[i][j] = k
		}
	}
	return g
}

// pdfTextLine is a run of glyphs outside any table, grouped by vertical
// overlap.
type pdfTextLine struct {
	chars []pdfChar
	t, b  float64
}

// pdfGroupLines groups glyphs into visual lines: a glyph joins a line when it
// overlaps the line's vertical extent by at least half its own height.
func pdfGroupLines(chars []pdfChar) []*pdfTextLine {
	cs := slices.Clone(chars)
	slices.SortStableFunc(cs, func(a, b pdfChar) int {
		switch {
		case a.t > b.t:
			return -1
		case a.t < b.t:
			return 1
		}
		return 0
	})
	var lines []*pdfTextLine
	for _, c := range cs {
		var best *pdfTextLine
		bestOv := 0.0
		for _, ln := range lines[max(0, len(lines)-4):] {
			ov := min(ln.t, c.t) - max(ln.b, c.b)
			need := 0.5 * min(c.h(), ln.t-ln.b)
			if ov > need && ov > bestOv {
				best, bestOv = ln, ov
			}
		}
		if best == nil {
			lines = append(lines, &pdfTextLine{chars: []pdfChar{c}, t: c.t, b: c.b})
			continue
		}
		best.chars = append(best.chars, c)
		best.t = max(best.t, c.t)
		best.b = min(best.b, c.b)
	}
	for _, ln := range lines {
		slices.SortStableFunc(ln.chars, func(a, b pdfChar) int {
			switch {
			case a.l < b.l:
				return -1
			case a.l > b.l:
				return 1
			}
			return 0
		})
	}
	slices.SortStableFunc(lines, func(a, b *pdfTextLine) int {
		switch {
		case a.t > b.t:
			return -1
		case a.t < b.t:
			return 1
		}
		return 0
	})
	return lines
}

// pdfLineHeight is the median glyph height of a line: CJK glyph boxes are
// about one em, digits and punctuation less.
func pdfLineHeight(chars []pdfChar) float64 {
	hs := make([]float64, 0, len(chars))
	for _, c := range chars {
		hs = append(hs, c.h())
	}
	slices.Sort(hs)
	if len(hs) == 0 {
		return 10
	}
	return max(hs[len(hs)/2], 4)
}

func pdfIsDigit(r rune) bool {
	return (r >= '0' && r <= '9') || (r >= '０' && r <= '９')
}

func pdfIsNumRune(r rune) bool {
	return pdfIsDigit(r) || r == '.' || r == ',' || r == '．' || r == '，' || r == '%'
}

// pdfSplitWords cuts a text line into cells at horizontal gaps wider than
// 1.5 em (justified text stretches spaces to about one em: "2024 年 1 月"),
// or, between two digits, 0.6 em: the digits of one number sit a tenth of
// an em apart, so a number is never split, and numbers in narrow unruled
// columns are never merged.
func pdfSplitWords(chars []pdfChar) [][]pdfChar {
	if len(chars) == 0 {
		return nil
	}
	em := pdfLineHeight(chars)
	var out [][]pdfChar
	cur := []pdfChar{chars[0]}
	for i := 1; i < len(chars); i++ {
		prev, c := chars[i-1], chars[i]
		gap := pdfAdvanceLeft(c, em) - pdfAdvanceRight(prev, em)
		limit := 1.5 * em
		if pdfIsDigit(prev.r) && pdfIsDigit(c.r) {
			// The digits of one number touch (justification stretches
			// the spaces around a number, never inside it); two numbers
			// in narrow unruled columns may be only an em apart.
			limit = 0.6 * em
		}
		if gap > limit {
			out = append(out, cur)
			cur = nil
		}
		cur = append(cur, c)
	}
	return append(out, cur)
}

// CJK punctuation glyphs fill only part of their em box ("，" its lower
// left corner, "（" its right half), so gaps next to them are measured from
// the em box, not the ink.
const (
	cjkClosing = "，。、；：！？）】》〉」』”’"
	cjkOpening = "（【《〈「『“‘"
)

func pdfAdvanceRight(c pdfChar, em float64) float64 {
	if strings.ContainsRune(cjkClosing, c.r) {
		return max(c.rt, c.l+em)
	}
	return c.rt
}

func pdfAdvanceLeft(c pdfChar, em float64) float64 {
	if strings.ContainsRune(cjkOpening, c.r) {
		return min(c.l, c.rt-em)
	}
	return c.l
}

// pdfJoinChars renders glyphs already in reading order, adding a space only
// between two Latin letters or digits separated by a visible gap.
func pdfJoinChars(chars []pdfChar) string {
	if len(chars) == 0 {
		return ""
	}
	em := pdfLineHeight(chars)
	var sb strings.Builder
	for i, c := range chars {
		if i > 0 {
			prev := chars[i-1]
			if pdfIsLatin(prev.r) && pdfIsLatin(c.r) && c.l-prev.rt > 0.3*em && !(pdfIsNumRune(prev.r) && pdfIsNumRune(c.r)) {
				sb.WriteByte(' ')
			}
		}
		sb.WriteRune(c.r)
	}
	return sb.String()
}

// pdfCellText renders a table cell's glyphs: its visual lines top to bottom,
// each left to right, joined without separator (a wrapped CJK label, a
// vertical label, a split header word).
func pdfCellText(chars []pdfChar) string {
	if up, ok := pdfRotated(chars); ok {
		// Text turned 90°: one column of glyphs, read upwards (rotated
		// anticlockwise) or downwards.
		cs := slices.Clone(chars)
		slices.SortStableFunc(cs, func(a, b pdfChar) int {
			if up {
				return cmpFloat(a.cy(), b.cy())
			}
			return cmpFloat(b.cy(), a.cy())
		})
		var sb strings.Builder
		for _, c := range cs {
			sb.WriteRune(c.r)
		}
		return sb.String()
	}
	var parts []string
	for _, ln := range pdfGroupLines(chars) {
		parts = append(parts, pdfJoinChars(ln.chars))
	}
	out := ""
	for i, p := range parts {
		if i > 0 && out != "" && p != "" {
			a, _ := pdfLastRune(out)
			b := []rune(p)[0]
			if pdfIsLatin(a) && pdfIsLatin(b) && !(pdfIsDigit(a) && pdfIsDigit(b)) {
				out += " "
			}
		}
		out += p
	}
	return out
}

// pdfExtraNumbers handles a region that holds several numbers side by
// side or one above the other, as when a writer leaves out a rule: joined,
// they would make one wrong number ("10","1","0" → "1010"). It returns nil
// for a region with at most one number; otherwise it returns every word of
// the region, each a cell of its own.
func pdfExtraNumbers(chars []pdfChar) []string {
	var words []string
	nums := 0
	for _, ln := range pdfGroupLines(chars) {
		for _, w := range pdfSplitWords(ln.chars) {
			t := pdfJoinChars(w)
			if pdfIsNumber(t) {
				nums++
			}
			words = append(words, t)
		}
	}
	if nums < 2 {
		return nil
	}
	return words
}

// pdfRotated reports whether most glyphs are turned by about 90° (up) or
// 270° (down). PDFium reports angles in radians, anticlockwise.
func pdfRotated(chars []pdfChar) (up, ok bool) {
	var nUp, nDown int
	for _, c := range chars {
		switch {
		case math.Abs(c.angle-math.Pi/2) < 0.2:
			nUp++
		case math.Abs(c.angle-3*math.Pi/2) < 0.2 || math.Abs(c.angle+math.Pi/2) < 0.2:
			nDown++
		}
	}
	switch {
	case nUp*2 > len(chars):
		return true, true
	case nDown*2 > len(chars):
		return false, true
	}
	return false, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func pdfLastRune(s string) (rune, bool) {
	rs := []rune(s)
	if len(rs) == 0 {
		return 0, false
	}
	return rs[len(rs)-1], true
}

// pdfBlock is one ruled table row or one text line of a page, in page order.
type pdfBlock struct {
	top  float64
	left float64
	grid *pdfGrid
	row  int // grid row, when grid is set
	text *pdfTextLine
}

// rePDFLabelStart matches the start of a template row label: "（三）", "3.",
// "1、", "三、", "二十、". A fragment at the top of a page that does not start
// so is the rest of a label cut by the page break.
var rePDFLabelStart = regexp.MustCompile(`^(?:[（(][一二三四五六七八九十\d]+[)）]|[\d０-９]+\s*[.．、]|[一二三四五六七八九十]+\s*[、.．])`)

// layoutPDF turns the pages into lines, appended to b.lines.
func layoutPDF(pages []pdfPage, b *lineBuilder) {
	var prevGrid *pdfGrid // last table of the previous page, if the page ended with it
	var all []pdfBlock
	for _, pg := range pages {
		grids := pdfFindGrids(pg.rects)
		var free []pdfChar
		for _, c := range pg.chars {
			placed := false
			for _, g := range grids {
				if r := g.locate(c.cx(), c.cy()); r != nil {
					r.chars = append(r.chars, c)
					placed = true
					break
				}
			}
			if !placed {
				free = append(free, c)
			}
		}
		for _, g := range grids {
			for _, r := range g.regions {
				r.text = pdfCellText(r.chars)
				r.extra = pdfExtraNumbers(r.chars)
			}
		}
		var blocks []pdfBlock
		for _, g := range grids {
			for i := range len(g.ys) - 1 {
				blocks = append(blocks, pdfBlock{top: g.ys[i], left: g.xs[0], grid: g, row: i})
			}
		}
		for _, ln := range pdfGroupLines(free) {
			if pdfIsPageNumber(ln, pg) {
				continue
			}
			blocks = append(blocks, pdfBlock{top: ln.t, left: ln.chars[0].l, text: ln})
		}
		slices.SortStableFunc(blocks, func(a, b pdfBlock) int {
			if c := cmpFloat(b.top, a.top); c != 0 {
				return c
			}
			return cmpFloat(a.left, b.left)
		})
		// Join a table continued from the previous page.
		if prevGrid != nil && len(blocks) > 0 && blocks[0].grid != nil && pdfSameColumns(prevGrid, blocks[0].grid) {
			pdfContinueGrid(prevGrid, blocks[0].grid)
		}
		prevGrid = nil
		if n := len(blocks); n > 0 && blocks[n-1].grid != nil {
			prevGrid = blocks[n-1].grid
		}
		all = append(all, blocks...)
	}
	// Emit once every page is read: joining a cut label changes the text
	// of a cell on the previous page.
	for _, bl := range all {
		if bl.grid != nil {
			pdfEmitGridRow(b, bl.grid, bl.row)
			continue
		}
		var cells []cell
		var texts []string
		for _, w := range pdfSplitWords(bl.text.chars) {
			t := pdfJoinChars(w)
			cells = append(cells, b.newCell(t))
			texts = append(texts, t)
		}
		b.lines = append(b.lines, line{text: strings.Join(texts, " "), cells: cells})
	}
}

// pdfIsPageNumber reports whether a text line in the top or bottom margin is
// only a page number ("-3-", "- 4 -", "第3页").
func pdfIsPageNumber(ln *pdfTextLine, pg pdfPage) bool {
	if pg.h > 0 && ln.b > pg.h*0.12 && ln.t < pg.h*0.88 {
		return false
	}
	return rePDFPageNumber.MatchString(pdfJoinChars(ln.chars))
}

// rePDFPageNumber matches a page number as printed in a margin: "3",
// "-3-", "— 3 —", "第3页", "第3页共5页", "3/5".
var rePDFPageNumber = regexp.MustCompile(`^(?:[-—–－]*\d{1,3}[-—–－]*|第\d{1,3}页(?:共\d{1,3}页)?|\d{1,3}/\d{1,3})$`)

// pdfSameColumns reports whether two tables have the same vertical grid lines,
// as the two parts of one table cut by a page break do.
func pdfSameColumns(a, b *pdfGrid) bool {
	if len(a.xs) != len(b.xs) {
		return false
	}
	for i := range a.xs {
		if math.Abs(a.xs[i]-b.xs[i]) > 3 {
			return false
		}
	}
	return true
}

// pdfContinueGrid links the first row of next to the last row of prev: a
// label cell cut by the page break, or left empty below it, continues the
// cell above.
func pdfContinueGrid(prev, next *pdfGrid) {
	last := len(prev.ys) - 2
	// A header row repeated on the new page (Word's "repeat as header
	// row") starts a new part, not a continuation: only a data row, one
	// with a number, continues the cells above it.
	hasNumber := false
	for j := range len(next.xs) - 1 {
		if r := next.regions[next.region[0][j]]; r.top == 0 && pdfIsNumber(r.text) {
			hasNumber = true
		}
	}
	if !hasNumber {
		return
	}
	seen := map[*pdfRegion]bool{}
	for j := range len(next.xs) - 1 {
		nr := next.regions[next.region[0][j]]
		if seen[nr] || nr.left != j {
			continue
		}
		seen[nr] = true
		pr := prev.regions[prev.region[last][j]]
		if pr.left != nr.left || pr.right != nr.right {
			continue
		}
		origin := pr
		for origin.cont != nil {
			origin = origin.cont
		}
		if origin.text == "" || pdfIsNumber(origin.text) {
			continue
		}
		switch {
		case nr.text == "":
			nr.cont = origin
		case !pdfIsNumber(nr.text) && !rePDFLabelStart.MatchString(nr.text):
			origin.text += nr.text
			nr.text = ""
			nr.cont = origin
		}
	}
}

// pdfIsNumber reports whether s is a printed number ("3119", "7730.28",
// "-3", "+1036").
func pdfIsNumber(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	digits := 0
	for i, r := range s {
		switch {
		case pdfIsDigit(r):
			digits++
		case pdfIsNumRune(r):
		case (r == '-' || r == '+' || r == '－' || r == '＋') && i == 0:
		default:
			return false
		}
	}
	return digits > 0
}

// pdfEmitGridRow appends grid row i as a table line: one cell per region that
// starts in this row, and a continuation cell (mergedFrom) per region that
// spans into it from above, in column order.
//
// An empty cell is a printed blank only inside the table's value area: in a
// column that holds numbers in some row, on a row that is not a header (no
// text in the value columns). Elsewhere it is layout (the empty sub-label
// cell of "（六）其他处理", a blank corner of a header) and is left out, so
// that values read by order are not shifted.
func pdfEmitGridRow(b *lineBuilder, g *pdfGrid, i int) {
	if g.valueCol == nil {
		g.valueCol = make([]bool, len(g.xs)-1)
		for _, r := range g.regions {
			if pdfIsNumber(r.text) {
				for j := r.left; j <= r.right; j++ {
					g.valueCol[j] = true
				}
			}
		}
	}
	inValues := func(r *pdfRegion) bool {
		for j := r.left; j <= r.right; j++ {
			if g.valueCol[j] {
				return true
			}
		}
		return false
	}
	header := false
	for j := range len(g.xs) - 1 {
		r := g.regions[g.region[i][j]]
		if r.top == i && r.text != "" && !pdfIsNumber(r.text) && inValues(r) {
			header = true
		}
	}
	var cells []cell
	var texts []string
	for j := range len(g.xs) - 1 {
		r := g.regions[g.region[i][j]]
		if r.left != j {
			continue // a colspan region emits once
		}
		switch {
		case r.top == i && r.cont == nil && r.extra != nil:
			for k, w := range r.extra {
				c := b.newCell(w)
				if k == 0 {
					r.id = c.id
				}
				cells = append(cells, c)
				texts = append(texts, w)
			}
		case r.top == i && r.cont == nil:
			if r.text == "" && (header || !inValues(r)) {
				continue
			}
			c := b.newCell(r.text)
			c.empty = r.text == ""
			r.id = c.id
			cells = append(cells, c)
			if r.text != "" {
				texts = append(texts, r.text)
			}
		case r.cont != nil:
			if r.cont.id == 0 {
				continue // the cell above was left out
			}
			c := b.newCell("")
			c.mergedFrom = r.cont.id
			cells = append(cells, c)
		default:
			if r.id == 0 {
				continue // its first row left it out as layout
			}
			c := b.newCell("")
			c.mergedFrom = r.id
			cells = append(cells, c)
		}
	}
	b.lines = append(b.lines, line{text: strings.Join(texts, " "), cells: cells, table: true})
}
