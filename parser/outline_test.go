package parser

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSectionHeading(t *testing.T) {
	tests := []struct {
		line string
		want int // section index, -1 for none
		rest string
	}{
		{"一、总体情况", 0, ""},
		{"  一、 概述", 0, ""},
		{"一 总体情况", 0, ""},
		{"二、主动公开政府信息情况", 1, ""},
		{"二、 政府信息主动公开情况", 1, ""},
		{"三、收到和处理政府信息公开申请情况", 2, ""},
		{"三、依申请公开政府信息情况", 2, ""},
		{"四、政府信息公开行政复议、行政诉讼情况", 3, ""},
		{"四、因政府信息公开申请行政复议、提起行政诉讼情况", 3, ""},
		{"五、存在的主要问题及改进情况", 4, ""},
		{"五、存在的主要问题及改进措施", 4, ""},
		{"五、存在的主要问题及改进情况：无。", 4, "：无。"},
		{"第五部分 存在的主要问题和改进措施", 4, ""},
		{"四、存在的主要问题及改进情况", 4, ""}, // renumbered: the template's words under any numeral
		{"五、存在的主要問題及改進情況", 4, ""}, // traditional characters
		{"六、其他需要报告的事项", 5, ""},
		{"五、其他需要报告的事项", 5, ""},
		{"六．其他需要报告事项", 5, ""},
		{"主动公开政府信息情况", 1, ""},
		{"其他需要报告的事项", 5, ""},
		// Not headings.
		{"主动公开", -1, ""},  // a menu item
		{"依申请公开", -1, ""}, // a menu item
		{"（一）主动公开政府信息情况。一是加强新媒体平台建设工作。", -1, ""},
		{"一、本年新收政府信息公开申请数量", -1, ""},
		{"二、上年结转政府信息公开申请数量", -1, ""},
		{"三、本年度办理结果", -1, ""},
		{"四、结转下年度继续办理", -1, ""},
		{"二是加强问题整改，推动工作落实。", -1, ""},
		{"三、强化问题整改", -1, ""}, // loose words under another section's numeral
		{"本报告包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。", -1, ""},
	}
	for _, tt := range tests {
		got, off := sectionHeading(tt.line)
		if got != tt.want {
			t.Errorf("sectionHeading(%q) = %d, want %d", tt.line, got, tt.want)
			continue
		}
		if got >= 0 && tt.line[off:] != tt.rest {
			t.Errorf("sectionHeading(%q): rest %q, want %q", tt.line, tt.line[off:], tt.rest)
		}
	}
}

// TestOutline_Fixtures reads the outline of every real report: which
// sections it prints, how long its section 五 is, how much prose it has.
func TestOutline_Fixtures(t *testing.T) {
	all := []string{"s1", "s2", "s3", "s4", "s5", "s6"}
	tests := []struct {
		file     string
		sections []string
		s5       int
		s5text   string
		prose    int
	}{
		// The 2018 report predates the six-section template: no 六.
		{"pingtan-gonganju-2018.html", all[:5], 196, "", 994},
		{"pingtan-junshanpianqu-2023.html", all, 198, "", 1129},
		{"pingtan-shichangjianguanju-2020.html", all, 302, "", 1095},
		{"pingtan-shichangjianguanju-2024.html", all, 384, "", 1483},
		{"pingtan-xingzhengshenpiju-2023.html", all, 208, "", 1072},
		// The seed's 五 has sub-headings (（一）存在的主要问题, （二）改进措施)
		// that are not counted.
		{"zhanjiang-sifaju-2025.txt", all, 418, "", 1731},
		{"huaian-hongze-2023.layout.txt", all, 267, "", 858},
	}
	for _, tt := range tests {
		r := parseFile(t, filepath.Join("testdata", tt.file))
		o := r.Outline
		if o == nil {
			t.Errorf("%s: no outline", tt.file)
			continue
		}
		if !slices.Equal(o.Sections, tt.sections) || o.Section5Runes != tt.s5 || o.Section5 != tt.s5text || o.ProseRunes != tt.prose {
			t.Errorf("%s: sections %v, 五 %d runes %q, prose %d; want %v, %d %q, %d",
				tt.file, o.Sections, o.Section5Runes, o.Section5, o.ProseRunes, tt.sections, tt.s5, tt.s5text, tt.prose)
		}
		if len(o.MinHash) != 2*MinHashBins || o.Shingles < 500 {
			t.Errorf("%s: fingerprint of %d bytes over %d shingles", tt.file, len(o.MinHash), o.Shingles)
		}
	}
}

// TestOutline_PDFSection5Empty: the LibreOffice sample report's section 五
// says only "无".
func TestOutline_PDFSection5Empty(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the PDF engine")
	}
	r := parseFile(t, "testdata/lo-sample-2023.pdf")
	if r.Outline == nil || r.Outline.Section5Runes != 1 || r.Outline.Section5 != "无" || len(r.Outline.Sections) != 6 {
		t.Fatalf("outline = %+v, want six sections and 五 = 无", r.Outline)
	}
}

// TestProseSimilarity_Fixtures: the same report read from two inputs (the
// PDF and its pdftotext layout) is near-identical; one organ's reports of
// two years share some wording; different organs' reports share little.
func TestProseSimilarity_Fixtures(t *testing.T) {
	out := func(name string) *Outline {
		r := parseFile(t, filepath.Join("testdata", name))
		if r.Outline == nil {
			t.Fatalf("%s: no outline", name)
		}
		return r.Outline
	}
	hz23, hz24 := out("huaian-hongze-2023.layout.txt"), out("huaian-hongze-2024.layout.txt")
	city := out("huaian-city-2024.layout.txt")
	sj20, sj24 := out("pingtan-shichangjianguanju-2020.html"), out("pingtan-shichangjianguanju-2024.html")
	seed := out("zhanjiang-sifaju-2025.txt")
	tests := []struct {
		name   string
		a, b   *Outline
		lo, hi float64
	}{
		{"SameReport", hz23, hz23, 1, 1},
		{"SameOrganNextYear", hz23, hz24, 0.25, 0.45},
		{"SameOrganFourYearsLater", sj20, sj24, 0.1, 0.3},
		{"SameCityDifferentOrgan", hz24, city, 0, 0.1},
		{"Unrelated", seed, sj24, 0, 0.1},
	}
	for _, tt := range tests {
		s, ok := ProseSimilarity(tt.a, tt.b)
		if !ok || s < tt.lo || s > tt.hi {
			t.Errorf("%s: similarity %.3f (ok %v), want %.2f–%.2f", tt.name, s, ok, tt.lo, tt.hi)
		}
	}
	if testing.Short() {
		return
	}
	pdf := parseFile(t, "testdata/huaian-hongze-2023.pdf").Outline
	if s, _ := ProseSimilarity(hz23, pdf); s < 0.95 {
		t.Errorf("hongze 2023 PDF vs its layout text: similarity %.3f, want ≥ 0.95", s)
	}
}

// TestOutline_CopyWithNumbersChanged: a report copied with only its years
// and numbers changed has the original's fingerprint (digit runs are
// folded); rewriting one of its paragraphs lowers the similarity.
func TestOutline_CopyWithNumbersChanged(t *testing.T) {
	body, err := os.ReadFile("testdata/zhanjiang-sifaju-2025.txt")
	if err != nil {
		t.Fatal(err)
	}
	orig := string(body)
	renumbered := strings.NewReplacer("2025", "2024", "116516", "98001", "699篇", "512篇").Replace(orig)
	para := "2.创新解读与传播机制,实现“破圈层”有效沟通。"
	if !strings.Contains(orig, para) {
		t.Fatal("fixture changed: paragraph not found")
	}
	rewritten := strings.Replace(orig, para, "2.本机关将于下一年度在各个乡镇设立政务公开专区，组织培训，每季度通报一次工作进度，并邀请群众代表参与评议。", 1)

	parse := func(s string) *Outline {
		r, err := Parse([]byte(s), Source{})
		if err != nil || r.Outline == nil {
			t.Fatalf("parse: %v", err)
		}
		return r.Outline
	}
	o, n, w := parse(orig), parse(renumbered), parse(rewritten)
	if s, _ := ProseSimilarity(o, n); s != 1 {
		t.Errorf("renumbered copy: similarity %.3f, want 1", s)
	}
	if s, _ := ProseSimilarity(o, w); s >= 1 || s < 0.9 {
		t.Errorf("one sentence rewritten: similarity %.3f, want in [0.9, 1)", s)
	}
}

// TestOutline_Section5 covers how section 五 is measured: up to the next
// heading, without its sub-headings; inline text after the heading counts.
func TestOutline_Section5(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		runes int
		s5    string
	}{
		{"OnlyWu", "一、总体情况\n我局全年主动公开信息一百条。\n五、存在的主要问题及改进情况\n无\n六、其他需要报告的事项\n无。\n", 1, "无"},
		{"Inline", "一、总体情况\n我局全年主动公开信息一百条。\n五、存在的主要问题及改进情况：无。\n六、其他需要报告的事项\n无。\n", 1, "无"},
		{"SubHeadingsOnly", "一、总体情况\n我局全年主动公开信息一百条。\n五、存在的主要问题及改进情况\n（一）存在的主要问题\n暂无。\n（二）改进措施\n无。\n六、其他需要报告的事项\n无。\n", 3, "暂无无"},
		{"Absent", "一、总体情况\n我局全年主动公开信息一百条。\n六、其他需要报告的事项\n无。\n", -1, ""},
		// The last heading: only its sentences count (a page footer follows).
		{"Last", "一、总体情况\n我局全年主动公开信息一百条。\n五、存在的主要问题及改进情况\n人员力量不足，培训有待加强。\n湛江市司法局\n网站标识码4408000001\n", 12, "人员力量不足培训有待加强"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(tt.text), Source{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Outline == nil || r.Outline.Section5Runes != tt.runes || r.Outline.Section5 != tt.s5 {
				t.Fatalf("outline = %+v, want 五 %d runes %q", r.Outline, tt.runes, tt.s5)
			}
		})
	}
}

// TestOutline_NoText: an input without text has no outline (unknown, not
// "no sections").
func TestOutline_NoText(t *testing.T) {
	r, err := Parse([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest of a .doc"), Source{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Outline != nil || r.NoTables == "" {
		t.Fatalf("outline %+v, NoTables %q: want nil and a reason", r.Outline, r.NoTables)
	}
}
