package parser

import (
	"math"
	"strings"
	"testing"
)

// Layout tests on synthetic pages: glyph boxes and path points as PDFium
// reports them, for layouts the three real PDFs do not have.

// glyphs places text on the baseline y from x: CJK glyphs one em wide,
// digits and Latin half an em, each followed by gap points.
func glyphs(text string, x, y, em, gap float64) []pdfChar {
	var out []pdfChar
	for _, r := range text {
		if r == ' ' {
			x += em/2 + gap // a space advances, PDFium's generated space is dropped
			continue
		}
		w := em
		if r < 0x2E80 {
			w = em / 2
		}
		out = append(out, pdfChar{r: r, l: x, rt: x + w*0.9, b: y, t: y + em*0.9})
		x += w + gap
	}
	return out
}

// gridPath is one stroked path drawing every rule of a table: horizontal
// lines at ys, vertical lines at xs, as some writers emit it.
func gridPath(xs, ys []float64) []pathPoint {
	var pts []pathPoint
	for _, y := range ys {
		pts = append(pts, pathPoint{x: xs[0], y: y, move: true}, pathPoint{x: xs[len(xs)-1], y: y})
	}
	for _, x := range xs {
		pts = append(pts, pathPoint{x: x, y: ys[0], move: true}, pathPoint{x: x, y: ys[len(ys)-1]})
	}
	return pts
}

func layoutLines(pages ...pdfPage) []string {
	var b lineBuilder
	layoutPDF(pages, &b)
	var out []string
	for _, ln := range b.lines {
		s := dumpLine(ln)
		if !ln.table {
			s = "T " + s
		}
		out = append(out, s)
	}
	return out
}

func TestPathRules(t *testing.T) {
	grid := pathRules(gridPath([]float64{100, 200, 300}, []float64{700, 680, 660}), true)
	if len(grid) != 6 {
		t.Errorf("grid in one stroked path: %d rules, want 6", len(grid))
	}
	// A filled background (WPS shades paragraph lines and header rows).
	bg := []pathPoint{{x: 70, y: 600, move: true}, {x: 520, y: 600}, {x: 520, y: 628}, {x: 70, y: 628, close: true}}
	if r := pathRules(bg, false); len(r) != 0 {
		t.Errorf("filled background drew %v", r)
	}
	// The same rectangle stroked is a cell outline: four rules.
	if r := pathRules(bg, true); len(r) != 4 {
		t.Errorf("stroked outline: %d rules, want 4", len(r))
	}
	// A filled hairline rectangle is one rule; a curve is none.
	hair := []pathPoint{{x: 70, y: 600, move: true}, {x: 520, y: 600}, {x: 520, y: 600.8}, {x: 70, y: 600.8, close: true}}
	if r := pathRules(hair, false); len(r) != 1 || r[0].l != 70 || r[0].r != 520 {
		t.Errorf("hairline: %v", r)
	}
	arc := []pathPoint{{x: 0, y: 0, move: true}, {x: 50, y: 0, curve: true}, {x: 50, y: 50, curve: true}}
	if r := pathRules(arc, true); len(r) != 0 {
		t.Errorf("curve drew %v", r)
	}
}

func TestLayoutPDF_RuledGridInOnePath(t *testing.T) {
	xs := []float64{70, 250, 300, 350, 400}
	ys := []float64{700, 680, 660, 620}
	var chars []pdfChar
	chars = append(chars, glyphs("信息内容", 75, 685, 10, 1)...)
	chars = append(chars, glyphs("结果", 255, 685, 10, 1)...)
	chars = append(chars, glyphs("纠正", 305, 690, 10, 1)...) // a header split over two lines
	chars = append(chars, glyphs("其他", 355, 685, 10, 1)...)
	chars = append(chars, glyphs("行政复议", 75, 665, 10, 1)...)
	chars = append(chars, glyphs("10", 255, 665, 10, 0.3)...) // digits close together
	chars = append(chars, glyphs("1", 305, 665, 10, 0.3)...)
	chars = append(chars, glyphs("0", 355, 665, 10, 0.3)...)
	// A label wrapped over two lines in a tall cell, its numbers centred.
	chars = append(chars, glyphs("（二）部分公开（区分处理", 75, 645, 10, 0.5)...)
	chars = append(chars, glyphs("的，只计这一情形）", 75, 630, 10, 0.5)...)
	chars = append(chars, glyphs("447", 255, 637, 10, 0.3)...)
	chars = append(chars, glyphs("7", 305, 637, 10, 0.3)...)
	// The last cell is blank: a printed-blank value.
	chars = append(chars, glyphs("-3-", 290, 40, 10, 0.3)...) // page number
	pg := pdfPage{w: 595, h: 842, chars: chars, rects: pathRules(gridPath(xs, ys), true)}
	got := layoutLines(pg)
	want := []string{
		"信息内容 | 结果 | 纠正 | 其他",
		"行政复议 | 10 | 1 | 0",
		"（二）部分公开（区分处理的，只计这一情形） | 447 | 7 | ∅",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLayoutPDF_VerticalLabelAndSplitHeader(t *testing.T) {
	// Two columns of labels, one value column; the first column's cell
	// spans three rows and prints 三、办理结果 one character per line.
	rects := []pdfRect{
		{l: 70, r: 300, b: 700, t: 700.5}, {l: 70, r: 300, b: 640, t: 640.5}, // top, bottom
		{l: 100, r: 300, b: 680, t: 680.5}, {l: 100, r: 300, b: 660, t: 660.5}, // inner rules stop at x=100
		{l: 70, r: 70.5, b: 640, t: 700}, {l: 100, r: 100.5, b: 640, t: 700},
		{l: 250, r: 250.5, b: 640, t: 700}, {l: 300, r: 300.5, b: 640, t: 700},
	}
	var chars []pdfChar
	for i, r := range []rune("三、办理结果") {
		chars = append(chars, glyphs(string(r), 80, 690-float64(i)*9, 8, 0)...)
	}
	chars = append(chars, glyphs("（一）予以公开", 105, 685, 8, 0.5)...)
	chars = append(chars, glyphs("商业企", 105, 670, 8, 3)...) // "商 业 企 / 业"
	chars = append(chars, glyphs("业", 105, 662, 8, 0)...)
	chars = append(chars, glyphs("（三）不予公开", 105, 645, 8, 0.5)...)
	chars = append(chars, glyphs("12", 260, 685, 8, 0.2)...)
	chars = append(chars, glyphs("3", 260, 665, 8, 0.2)...)
	chars = append(chars, glyphs("0", 260, 645, 8, 0.2)...)
	// The same label turned 90° anticlockwise, read upwards, in a second
	// table to the right.
	for i, r := range []rune("本年度结果") {
		chars = append(chars, pdfChar{r: r, l: 402, rt: 410, b: 642 + float64(i)*10, t: 650 + float64(i)*10, angle: math.Pi / 2})
	}
	chars = append(chars, glyphs("99", 420, 665, 8, 0.2)...)
	rects = append(rects,
		pdfRect{l: 400, r: 440, b: 700, t: 700.5}, pdfRect{l: 400, r: 440, b: 640, t: 640.5},
		pdfRect{l: 400, r: 400.5, b: 640, t: 700}, pdfRect{l: 415, r: 415.5, b: 640, t: 700}, pdfRect{l: 440, r: 440.5, b: 640, t: 700})
	got := layoutLines(pdfPage{w: 595, h: 842, chars: chars, rects: rects})
	want := []string{
		"三、办理结果 | （一）予以公开 | 12",
		"本年度结果 | 99",
		"^1 | 商业企业 | 3",
		"^1 | （三）不予公开 | 0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLayoutPDF_UnruledText(t *testing.T) {
	var chars []pdfChar
	chars = append(chars, glyphs("洪泽区人民政府", 200, 780, 16, 1)...)
	chars = append(chars, glyphs("2023 年政府信息公开工作年度报告", 120, 755, 16, 1)...)
	// Justified prose: gaps of about one em stay inside one cell.
	prose := glyphs("统计期限自2023年1月", 70, 720, 10, 0.5)
	chars = append(chars, prose...)
	chars = append(chars, glyphs("1日起", prose[len(prose)-1].rt+10, 720, 10, 0.5)...)
	// An unruled table row: columns several em apart, "10" whole.
	x := 70.0
	for _, w := range []string{"行政复议", "10", "1", "0", "0", "11"} {
		g := glyphs(w, x, 690, 10, 0.3)
		chars = append(chars, g...)
		x = g[len(g)-1].rt + 30
	}
	// Narrow unruled columns: single digits about one em apart.
	x = 70.0
	for _, w := range []string{"0", "0", "12", "7"} {
		g := glyphs(w, x, 670, 10, 0.3)
		chars = append(chars, g...)
		x = g[len(g)-1].rt + 8
	}
	chars = append(chars, glyphs("- 3 -", 290, 40, 10, 0.3)...)
	got := layoutLines(pdfPage{w: 595, h: 842, chars: chars})
	want := []string{
		"T 洪泽区人民政府",
		"T 2023年政府信息公开工作年度报告",
		"T 统计期限自2023年1月1日起",
		"T 行政复议 | 10 | 1 | 0 | 0 | 11",
		"T 0 | 0 | 12 | 7",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestLayoutPDF_TableAcrossPages: a section label cut by the page break
// ("（四）无" / "法提供") is joined, and the new page's rows continue it.
func TestLayoutPDF_TableAcrossPages(t *testing.T) {
	xs := []float64{70, 150, 250, 300}
	frame := func(ys []float64, inner func(y float64) float64) []pdfRect {
		var rs []pdfRect
		for i, y := range ys {
			l := xs[0]
			if i > 0 && i < len(ys)-1 {
				l = inner(y)
			}
			rs = append(rs, pdfRect{l: l, r: xs[3], b: y, t: y + 0.5})
		}
		for _, x := range xs {
			rs = append(rs, pdfRect{l: x, r: x + 0.5, b: ys[len(ys)-1], t: ys[0]})
		}
		return rs
	}
	inner := func(float64) float64 { return xs[1] } // rows share the section cell
	var p1 []pdfChar
	p1 = append(p1, glyphs("（三）不予", 75, 105, 8, 0.5)...)
	p1 = append(p1, glyphs("1.甲", 155, 105, 8, 0.5)...)
	p1 = append(p1, glyphs("5", 255, 105, 8, 0.2)...)
	p1 = append(p1, glyphs("（四）无", 75, 85, 8, 0.5)...)
	p1 = append(p1, glyphs("1.乙", 155, 85, 8, 0.5)...)
	p1 = append(p1, glyphs("7", 255, 85, 8, 0.2)...)
	page1 := pdfPage{w: 595, h: 842, chars: append(p1, glyphs("-3-", 290, 40, 8, 0.2)...),
		rects: append(frame([]float64{120, 100, 80}, inner), pdfRect{l: xs[0], r: xs[3], b: 100, t: 100.5})}
	var p2 []pdfChar
	p2 = append(p2, glyphs("-4-", 290, 810, 8, 0.2)...) // a header page number
	p2 = append(p2, glyphs("法提供", 75, 770, 8, 0.5)...)
	p2 = append(p2, glyphs("2.丙", 155, 775, 8, 0.5)...)
	p2 = append(p2, glyphs("8", 255, 775, 8, 0.2)...)
	p2 = append(p2, glyphs("3.丁", 155, 760, 8, 0.5)...)
	p2 = append(p2, glyphs("9", 255, 760, 8, 0.2)...)
	// The cut edge has no rule on either page.
	page2 := pdfPage{w: 595, h: 842, chars: p2, rects: frame([]float64{790, 770, 755}, inner)}
	page2.rects = page2.rects[1:] // no top rule
	page2.rects = append(page2.rects, pdfRect{l: xs[0], r: xs[3], b: 755, t: 755.5})
	got := layoutLines(page1, page2)
	want := []string{
		"（三）不予 | 1.甲 | 5",
		"（四）无法提供 | 1.乙 | 7",
		"^4 | 2.丙 | 8",
		"^4 | 3.丁 | 9",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHeadTitle(t *testing.T) {
	mk := func(texts ...string) []line {
		var b lineBuilder
		var out []line
		for _, s := range texts {
			out = append(out, line{text: s, cells: []cell{b.newCell(s)}})
		}
		return out
	}
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{[]string{"洪泽区人民政府", "2023 年政府信息公开工作年度报告", "本报告……"}, "洪泽区人民政府2023年政府信息公开工作年度报告"},
		{[]string{"某某县人民政府办公室", "某某县人民政府2023年政府信息公开工作年度报告"}, "某某县人民政府2023年政府信息公开工作年度报告"},
		{[]string{"某某市", "交通运输局", "2020年政府信息公开", "工作年度报告"}, "交通运输局2020年政府信息公开工作年度报告"},
		{[]string{"政府信息公开工作年度报告"}, "政府信息公开工作年度报告"},
		{[]string{"一、总体情况"}, ""},
	} {
		if got := headTitle(mk(tc.lines...)); got != tc.want {
			t.Errorf("headTitle(%q) = %q, want %q", tc.lines, got, tc.want)
		}
	}
}

// FuzzLayoutPDF: any glyphs and path boxes give lines without a panic, and
// every continuation cell names a cell emitted before it.
func FuzzLayoutPDF(f *testing.F) {
	f.Add([]byte("\x10\x20\x30\x40\x50\x60\x70\x80"), []byte("\x00\x10\x40\x11\x00\x20\x40\x21"))
	f.Add([]byte("行政复议10 1 0"), []byte{0, 0, 255, 1, 0, 50, 255, 51, 10, 0, 11, 255, 100, 0, 101, 255})
	f.Fuzz(func(t *testing.T, text, geom []byte) {
		var pg pdfPage
		pg.w, pg.h = 300, 300
		rs := []rune(string(text))
		for i, r := range rs {
			if len(geom) < 2 {
				break
			}
			x, y := float64(geom[(2*i)%len(geom)]), float64(geom[(2*i+1)%len(geom)])
			pg.chars = append(pg.chars, pdfChar{r: r, l: x, rt: x + 5, b: y, t: y + 8})
		}
		for i := 0; i+3 < len(geom); i += 4 {
			pg.rects = append(pg.rects, pdfRect{l: float64(geom[i]), b: float64(geom[i+1]), r: float64(geom[i+2]), t: float64(geom[i+3])})
		}
		var b lineBuilder
		layoutPDF([]pdfPage{pg, pg}, &b)
		seen := map[int]bool{}
		for _, ln := range b.lines {
			for _, c := range ln.cells {
				if c.mergedFrom >= 0 && !seen[c.mergedFrom] {
					t.Fatalf("cell %d continues %d, not emitted before", c.id, c.mergedFrom)
				}
				seen[c.id] = true
			}
		}
	})
}

// TestLayoutPDF_MissingRule: when the rules between value columns are
// missing, the numbers in the merged cell stay separate numbers.
func TestLayoutPDF_MissingRule(t *testing.T) {
	rects := []pdfRect{
		{l: 70, r: 400, b: 700, t: 700.5}, {l: 70, r: 400, b: 680, t: 680.5}, {l: 70, r: 400, b: 660, t: 660.5},
		{l: 70, r: 70.5, b: 660, t: 700}, {l: 200, r: 200.5, b: 660, t: 700}, {l: 400, r: 400.5, b: 660, t: 700},
	}
	var chars []pdfChar
	chars = append(chars, glyphs("行政复议", 75, 685, 10, 1)...)
	x := 210.0
	for _, w := range []string{"10", "1", "0", "11"} {
		g := glyphs(w, x, 685, 10, 0.3)
		chars = append(chars, g...)
		x = g[len(g)-1].rt + 40
	}
	chars = append(chars, glyphs("行政诉讼", 75, 665, 10, 1)...)
	chars = append(chars, glyphs("7", 210, 665, 10, 0.3)...)
	got := layoutLines(pdfPage{w: 595, h: 842, chars: chars, rects: rects})
	want := []string{
		"行政复议 | 10 | 1 | 0 | 11",
		"行政诉讼 | 7",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
