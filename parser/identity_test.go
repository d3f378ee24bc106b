package parser

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseTitle(t *testing.T) {
	cases := []struct {
		in, agency string
		year       int
	}{
		{"湛江市司法局2025年政府信息公开工作年度报告", "湛江市司法局", 2025},
		{"平潭综合实验区市场监督管理局2020年度政府信息公开工作年度报告_政府信息公开年报_平潭综合实验区党工委管委会", "平潭综合实验区市场监督管理局", 2020},
		{"平潭综合实验区公安局2018年政府信息公开工作报告", "平潭综合实验区公安局", 2018},
		{"洪泽区人民政府 2023 年政府信息公开工作年度报告", "洪泽区人民政府", 2023},
		// Year first (issue 12).
		{"2019年上海市人民政府办公厅政府信息公开工作年度报告", "上海市人民政府办公厅", 2019},
		{"2019年上海市人民政府政府信息公开工作年度报告", "上海市人民政府", 2019},
		{"2019年上海市人民政府信息公开工作年度报告", "上海市人民政府", 2019},
		{"2019年度上海市教育委员会政府信息公开工作年度报告", "上海市教育委员会", 2019},
		{"二〇二三年沭阳县发展和改革局政府信息公开工作年度报告", "沭阳县发展和改革局", 2023},
		{"２０２３年度某某局政府信息公开年报", "某某局", 2023},
		// Year last.
		{"上海市人民政府办公厅政府信息公开工作年度报告（2019年）", "上海市人民政府办公厅", 2019},
		{"上海市人民政府办公厅政府信息公开工作年度报告(2019)", "上海市人民政府办公厅", 2019},
		{"上海市人民政府办公厅政府信息公开工作2019年度报告", "上海市人民政府办公厅", 2019},
		// 关于…的…报告, notes, notices.
		{"洪泽区人民政府关于2023年度政府信息公开工作情况的报告", "洪泽区人民政府", 2023},
		{"关于平潭综合实验区公安局2018年政府信息公开工作的报告", "平潭综合实验区公安局", 2018},
		{"关于印发平潭综合实验区公安局2018年政府信息公开工作报告的通知", "平潭综合实验区公安局", 2018},
		{"淮安市洪泽区人民政府（本级）2024年政府信息公开工作年度报告", "淮安市洪泽区人民政府（本级）", 2024},
		{"關於某某局2019年政府信息公開工作年度報告", "某某局", 2019},
		// The title variants the crawler takes from real 年报 columns
		// (README "Report titles"): no 公开, 政务信息, 信息与政务公开, 总结,
		// a stray space, curly quotes.
		{"沭阳县扶贫办2017年政府信息年度报告", "沭阳县扶贫办", 2017},
		{"沭阳县人民医院2017年政务信息公开报告", "沭阳县人民医院", 2017},
		{"沭阳县局2017年政府信息公开工作报告", "沭阳县局", 2017},
		{"沭阳县人社局2017年度政府信息与政务公开工作总结", "沭阳县人社局", 2017},
		{"沭阳县国税局2017年度信息与政务公开工作报告", "沭阳县国税局", 2017},
		{"2017年度沭阳县国税局信息与政务公开工作报告", "沭阳县国税局", 2017},
		{"沭阳县2017年政府信息 公开年度报告", "沭阳县", 2017},
		{"2017年政府信息 公开年度报告", "", 2017},
		{"潭城镇“2017年政府信息公开工作年度报告”", "潭城镇", 2017},
		{"“潭城镇”2017年政府信息公开工作年度报告", "潭城镇", 2017},
		{"潭城镇\"2017年政府信息公开工作年度报告\"", "潭城镇", 2017},
		// A year and no organ.
		{"2023年政府信息公开工作年度报告", "", 2023},
		{"我局2023年政府信息公开工作年度报告", "", 2023},
		{"本机关2023年度政府信息公开工作年度报告", "", 2023},
	}
	for _, c := range cases {
		p, ok := parseTitle(c.in)
		if !ok || p.agency != c.agency || p.year != c.year {
			t.Errorf("parseTitle(%q) = %q %d %v, want %q %d", c.in, p.agency, p.year, ok, c.agency, c.year)
		}
	}
	for _, in := range []string{"政府信息公开年报", "平潭综合实验区政府信息公开年报", "2023年政府信息公开指南", "2023年工作报告",
		"关于印发2023年政务公开工作要点的通知", "政府信息公开年报_平潭综合实验区党工委管委会", "2024-01-12", ""} {
		if p, ok := parseTitle(in); ok {
			t.Errorf("parseTitle(%q) = %+v, want no title", in, p)
		}
	}
	// Companion pages (the crawler skips the same link texts): neither a
	// title nor a link text naming a report.
	for _, in := range []string{"《2017年政府信息公开工作年度报告》解读", "图解：沭阳县2017年政府信息公开工作年度报告",
		"一图读懂沭阳县2017年政府信息公开工作年度报告", "沭阳县2017年政府信息公开工作年度报告要点",
		"关于做好2017年政府信息公开工作年度报告的通知", "沭阳县政府信息公开工作年度报告制度",
		"2017年政府信息公开工作年度报告格式", "政府网站工作年度报表（2017年度）", "2017年上半年政务公开工作总结",
		"沭阳县2017年第三季度政府信息公开工作报告"} {
		if p, ok := parseTitle(in); ok {
			t.Errorf("parseTitle(%q) = %+v, want no title", in, p)
		}
		if p := linkTextIdentity(in); p.year != 0 || p.agency != "" {
			t.Errorf("linkTextIdentity(%q) = %+v, want nothing", in, p)
		}
	}
}

// junshan is a real page (平潭综合实验区君山片区管理局 2023) that prints its
// organ in six places: <meta name="ArticleTitle">, <meta
// name="ContentSource">, <title>, the heading, the 来源 field and the
// signature. The variants below keep one place at a time.
var junshanPlaces = map[string][2]string{
	"article": {`<meta name="ArticleTitle" content="平潭综合实验区君山片区管理局2023年政府信息公开工作年度报告"/>`, `<meta name="ArticleTitle" content=""/>`},
	"content": {`<meta name="ContentSource" content="平潭综合实验区君山片区管理局"/>`, `<meta name="ContentSource" content=""/>`},
	"title":   {`<title>平潭综合实验区君山片区管理局2023年政府信息公开工作年度报告_政府信息公开年报_平潭综合实验区党工委管委会</title>`, `<title>政府信息公开年报_平潭综合实验区党工委管委会</title>`},
	"heading": {"<div class=\"article_title text_align_center\">\n                          平潭综合实验区君山片区管理局2023年政府信息公开工作年度报告\n", "<div class=\"article_title text_align_center\">\n"},
	"source":  {`<span class="article_source">来源：平潭综合实验区君山片区管理局</span>`, `<span class="article_source">来源：</span>`},
	"sign":    {`<span style="font-family:仿宋_GB2312">平潭综合实验区君山片区管理局</span> &nbsp;`, `&nbsp;`},
}

// Edits of the page's preamble: the statistics period, and a sentence.
const (
	junshanPeriod   = "本报告所列数据的统计期限自"
	junshanCompiled = "要求，结合我局工作实际，编制完成本报告。"
)

// junshanPage returns the fixture with every place of its organ blanked
// except keep, then the edits applied; each edited text must be found.
func junshanPage(t *testing.T, keep []string, edits ...[2]string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/pingtan-junshanpianqu-2023.html")
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	kept := map[string]bool{}
	for _, k := range keep {
		kept[k] = true
	}
	var all [][2]string
	for name, ed := range junshanPlaces {
		if !kept[name] {
			all = append(all, ed)
		}
	}
	for _, ed := range append(all, edits...) {
		if !strings.Contains(page, ed[0]) {
			t.Fatalf("fixture has no %q", ed[0])
		}
		page = strings.Replace(page, ed[0], ed[1], 1)
	}
	return page
}

// Issue 12: every place an organ prints its name and year, on a real page
// left with that one place.
func TestParse_Identity(t *testing.T) {
	const org = "平潭综合实验区君山片区管理局"
	noPeriod := [2]string{junshanPeriod, "本报告所列数据"}
	heading := func(s string) [2]string {
		return [2]string{"<div class=\"article_title text_align_center\">\n", "<div class=\"article_title text_align_center\">\n" + s + "\n"}
	}
	title := func(s string) [2]string {
		return [2]string{`<title>政府信息公开年报_平潭综合实验区党工委管委会</title>`, "<title>" + s + "</title>"}
	}
	body := func(s string) [2]string { return [2]string{junshanCompiled, s} }
	cases := []struct {
		name     string
		keep     []string
		edits    [][2]string
		src      Source
		agency   string
		from     IdentitySource
		year     int
		yearFrom IdentitySource
	}{
		{"AllPlaces", []string{"article", "content", "title", "heading", "source", "sign"}, nil, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"TitleOnly", []string{"title"}, nil, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"ArticleTitleOnly", []string{"article"}, nil, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"YearFirstTitle", nil, [][2]string{title("2023年" + org + "政府信息公开工作年度报告_政府信息公开年报_平潭综合实验区党工委管委会")}, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"YearLastTitle", nil, [][2]string{title(org + "政府信息公开工作年度报告（2023年）_政府信息公开年报")}, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"AboutTitle", nil, [][2]string{title(org + "关于2023年度政府信息公开工作情况的报告")}, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"NoteTitle", nil, [][2]string{title(org + "（本级）2023年政府信息公开工作年度报告")}, Source{}, org + "（本级）", IdentityTitle, 2023, IdentityTitle},
		// Title variants of real columns, alone on the page (README
		// "Report titles"); the period is removed so that the year must
		// come from the title too.
		{"NoPublicTitle", nil, [][2]string{noPeriod, title(org + "2023年政府信息年度报告")}, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"GovAffairsInfoTitle", nil, [][2]string{noPeriod, title(org + "2023年政务信息公开报告")}, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"SummaryTitle", nil, [][2]string{noPeriod, title(org + "2023年度政府信息与政务公开工作总结")}, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"InfoAndAffairsTitle", nil, [][2]string{noPeriod, title(org + "2023年度信息与政务公开工作报告")}, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"StraySpaceTitle", nil, [][2]string{noPeriod, title(org + "2023年政府信息 公开年度报告")}, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"CurlyQuotesTitle", nil, [][2]string{noPeriod, title(org + "“2023年政府信息公开工作年度报告”")}, Source{}, org, IdentityTitle, 2023, IdentityTitle},
		{"SummaryHeading", nil, [][2]string{noPeriod, heading(org + "2023年度政府信息与政务公开工作总结")}, Source{}, org, IdentityHeading, 2023, IdentityHeading},
		{"NoPublicHeading", nil, [][2]string{noPeriod, heading(org + "2023年政府信息年度报告")}, Source{}, org, IdentityHeading, 2023, IdentityHeading},
		// A companion page's title is no report title: the organ and the
		// year come from elsewhere.
		{"ReadingTitle", []string{"source"}, [][2]string{noPeriod, title("《" + org + "2023年政府信息公开工作年度报告》解读")}, Source{}, org, IdentityMetadata, 2023, IdentityPublished},
		{"HeadingOnly", []string{"heading"}, nil, Source{}, org, IdentityHeading, 2023, IdentityHeading},
		{"YearFirstHeading", nil, [][2]string{heading("2023年度" + org + "政府信息公开工作年度报告")}, Source{}, org, IdentityHeading, 2023, IdentityHeading},
		{"HeadingOnTwoLines", nil, [][2]string{heading(org + "2023年<br/>政府信息公开工作年度报告")}, Source{}, org, IdentityHeading, 2023, IdentityHeading},
		{"TitleWithoutOrgan", []string{"source"}, [][2]string{title("2023年政府信息公开工作年度报告_政府信息公开年报")}, Source{}, org, IdentityMetadata, 2023, IdentityTitle},
		{"SourceFieldOnly", []string{"source"}, nil, Source{}, org, IdentityMetadata, 2023, IdentityPeriod},
		{"ContentSourceOnly", []string{"content"}, nil, Source{}, org, IdentityMetadata, 2023, IdentityPeriod},
		{"MetadataTable", nil, [][2]string{{`<span class="article_source">来源：</span>`,
			`<table class="table_content"><tr><td>索引号</td><td>FJ00103/2024-00012</td></tr><tr><td>发布机构</td><td>` + org + `</td><td>公开日期</td><td>2024-01-12</td></tr></table>`}},
			Source{}, org, IdentityMetadata, 2023, IdentityPeriod},
		{"BodyNamesReport", nil, [][2]string{body("要求，结合工作实际，特编制" + org + "2023年政府信息公开工作年度报告。")}, Source{}, org, IdentityBody, 2023, IdentityPeriod},
		{"BodyCompiledBy", nil, [][2]string{body("要求，本报告由" + org + "结合工作实际编制。")}, Source{}, org, IdentityBody, 2023, IdentityPeriod},
		{"BodyCompiles", nil, [][2]string{body("要求，" + org + "编制本报告。")}, Source{}, org, IdentityBody, 2023, IdentityPeriod},
		{"SignatureOnly", []string{"sign"}, nil, Source{}, org, IdentitySignature, 2023, IdentityPeriod},
		// The signature names the organ; the compiler of a government's
		// report is its office, so the signature wins over it.
		{"SignatureOverCompiler", []string{"sign"}, [][2]string{body("要求，本报告由" + org + "办公室编制。")}, Source{}, org, IdentitySignature, 2023, IdentityPeriod},
		{"SourceTitleOnly", nil, nil, Source{Title: org + "2023年政府信息公开工作年度报告"}, org, IdentitySourceTitle, 2023, IdentitySourceTitle},
		{"LinkTextOnly", nil, nil, Source{LinkText: org + "2023年政府信息公开工作年度报告", Agency: "平潭综合实验区党工委管委会"}, org, IdentityLinkText, 2023, IdentityPeriod},
		{"LinkTextOrganOnly", nil, nil, Source{LinkText: "君山片区管理局", Agency: "平潭综合实验区党工委管委会"}, "君山片区管理局", IdentityLinkText, 2023, IdentityPeriod},
		{"ConfigOnly", nil, nil, Source{Agency: "平潭综合实验区党工委管委会", LinkText: "2023年度报告"}, "平潭综合实验区党工委管委会", IdentityConfig, 2023, IdentityPeriod},
		{"Nothing", nil, nil, Source{}, "", "", 2023, IdentityPeriod},
		// The year without the period.
		{"YearFromBody", nil, [][2]string{noPeriod, body("要求，我局编制了2023年度政府信息公开工作年度报告。")}, Source{}, "", "", 2023, IdentityBody},
		{"YearFromLinkText", nil, [][2]string{noPeriod}, Source{LinkText: "2023年政府信息公开工作年度报告"}, "", "", 2023, IdentityLinkText},
		{"YearFromPublished", nil, [][2]string{noPeriod}, Source{}, "", "", 2023, IdentityPublished},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustParse(t, []byte(junshanPage(t, c.keep, c.edits...)), c.src)
			if r.Agency != c.agency || r.AgencySource != c.from || r.Year != c.year || r.YearSource != c.yearFrom {
				t.Errorf("identity = %q (%s) %d (%s), want %q (%s) %d (%s)", r.Agency, r.AgencySource, r.Year, r.YearSource, c.agency, c.from, c.year, c.yearFrom)
			}
			if r.Format != Format2021 || len(r.Cells) != 200 || r.Published != "2024-01-12" {
				t.Errorf("format %s, %d cells, published %q", r.Format, len(r.Cells), r.Published)
			}
			if got, want := r.AgencyIdentified(), c.from != IdentityConfig && c.from != ""; got != want {
				t.Errorf("AgencyIdentified = %v, want %v", got, want)
			}
		})
	}
}

// FuzzIdentity: the readers of titles, link texts, preambles and
// signatures never panic, and what they return is a year of 19xx/20xx and
// a name that is valid text.
func FuzzIdentity(f *testing.F) {
	for _, s := range []string{"2019年上海市人民政府办公厅政府信息公开工作年度报告", "上海市人民政府办公厅政府信息公开工作年度报告（2019年）",
		"二〇二三年沭阳县发展和改革局政府信息公开工作年度报告", "要求，本报告由平潭综合实验区君山片区管理局结合工作实际编制。", "平潭综合实验区公安局 2019年1月7日",
		"(2019)信息公开报告", "2019年度政府信息公开", "县发改局2023年度报告.pdf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(p titleParts) {
			if p.year != 0 && (p.year < 1900 || p.year > 2099) || !utf8.ValidString(p.agency) && utf8.ValidString(s) {
				t.Fatalf("%q → %+v", s, p)
			}
		}
		if p, ok := parseTitle(s); ok {
			check(p)
			if p.year == 0 {
				t.Fatalf("%q: a title without a year", s)
			}
		}
		check(linkTextIdentity(s))
		named, _ := bodyIdentity(s)
		check(named)
		_ = organName(s)
		_ = signature([]line{{text: s}, {text: "2024年1月12日"}, {text: s}}, 0)
	})
}

// Metadata blocks as sites print them (spec sites.md B7): label and value
// in two cells, or "label：value" on one line.
func TestMetadataAgency(t *testing.T) {
	cells := func(texts ...string) line {
		l := line{text: strings.Join(texts, " "), table: true}
		for i, s := range texts {
			l.cells = append(l.cells, cell{text: s, id: i + 1})
		}
		return l
	}
	text := func(s string) line { return line{text: s, cells: []cell{{text: s}}} }
	cases := []struct {
		name string
		head []line
		want string
	}{
		{"Taizhou", []line{cells("索 引 号", "014416330/2018-04736"), cells("发布机构", "市政府办"), cells("发文日期", "2018-02-28")}, "市政府办"},
		{"Linan", []line{cells("索引号", "002508123/2025-73432"), cells("发布单位", "区发改局"), cells("发文日期", "2025-01-17")}, "区发改局"},
		{"Zjxj", []line{cells("索引号", "1133102400268125XW/2024-104757"), cells("成文日期", "2024-01-16"), cells("发布机构", "下各镇")}, "下各镇"},
		{"Shuyang", []line{cells("发布机构", "沭阳县发展和改革局", "公开日期", "2024-01-17")}, "沭阳县发展和改革局"},
		{"ColonFields", []line{text("来源：平潭综合实验区君山片区管理局 时间：2024-01-12 08:58")}, "平潭综合实验区君山片区管理局"},
		{"Issuer", []line{text("发文机关：广东省人民政府 成文日期：2025-03-31")}, "广东省人民政府"},
		// Values that are no organ.
		{"EmptySource", []line{text("来源： 时间：2019-01-16 09:40")}, ""},
		{"Website", []line{text("来源：本网 发布时间：2024-01-12")}, ""},
		{"Portal", []line{text("信息来源：平潭综合实验区党工委管委会门户网站")}, ""},
	}
	for _, c := range cases {
		if got := metadataAgency(c.head); got != c.want {
			t.Errorf("%s: metadataAgency = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSignature(t *testing.T) {
	lines := func(texts ...string) []line {
		var out []line
		for _, s := range texts {
			out = append(out, line{text: s, cells: []cell{{text: s}}})
		}
		return out
	}
	cases := []struct {
		name  string
		lines []line
		want  string
	}{
		{"TwoLines", lines("六、其他需要报告的事项", "本机关无其他需要报告的事项。", "平潭综合实验区公安局", "2019年1月7日", "主办单位：福建省平潭综合实验区管理委员会办公室"), "平潭综合实验区公安局"},
		{"OneLine", lines("本机关无其他需要报告的事项。", "淮安市洪泽区人民政府办公室 2024年2月26日"), "淮安市洪泽区人民政府办公室"},
		{"ChineseNumerals", lines("沭阳县发展和改革局", "二〇二四年一月十七日"), "沭阳县发展和改革局"},
		{"MonthOnly", lines("某某县人民政府", "2024年1月"), "某某县人民政府"},
		// No signature: a footer with a colon, a title above a date, a
		// sentence, an ISO date.
		{"Footer", lines("主办单位：福建省平潭综合实验区管理委员会办公室", "2024年1月12日"), ""},
		{"TitleAndDate", lines("平潭综合实验区君山片区管理局2023年政府信息公开工作年度报告", "2024年1月12日"), ""},
		{"Sentence", lines("2023年，我局共收到申请7件。", "2024年1月12日"), ""},
		{"ISODate", lines("平潭综合实验区君山片区管理局", "2024-01-12"), ""},
	}
	for _, c := range cases {
		if got := signature(c.lines, 0); got != c.want {
			t.Errorf("%s: signature = %q, want %q", c.name, got, c.want)
		}
	}
}

// Preamble sentences from real reports (the fixtures, 淮安市 2024).
func TestBodyIdentity(t *testing.T) {
	cases := []struct {
		pre, named string
		year       int
		compiler   string
	}{
		{"本报告由淮安市人民政府办公室根据《中华人民共和国政府信息公开条例》（国令第711号）（以下简称《条例》）规定编制。", "", 0, "淮安市人民政府办公室"},
		{"本报告由淮安市洪泽区人民政府办公室根据《中华人民共和国政府信息公开条例》（国令第711号）（以下简称《条例》）要求编制此报告。", "", 0, "淮安市洪泽区人民政府办公室"},
		{"根据《中华人民共和国政府信息公开条例》和平潭综合实验区管委会信息公开工作的要求，我局编制了2018年度政府信息公开年度报告。", "", 2018, ""},
		{"根据《条例》要求，结合我局实际，编制2023年政府信息公开工作年度报告。", "", 2023, ""},
		{"根据《条例》要求，特编制沭阳县发展和改革局2023年政府信息公开工作年度报告。", "沭阳县发展和改革局", 2023, ""},
		{"根据《条例》要求，沭阳县发展和改革局编制本报告。", "", 0, "沭阳县发展和改革局"},
		{"沭阳县发展和改革局根据《条例》要求编制了本年度报告。", "", 0, "沭阳县发展和改革局"},
		{"本报告由平潭综合实验区君山片区管理局结合工作实际编制。", "", 0, "平潭综合实验区君山片区管理局"},
		{"本报告由本机关编制。", "", 0, ""},
		{"", "", 0, ""},
	}
	for _, c := range cases {
		named, compiler := bodyIdentity(c.pre)
		if named.agency != c.named || named.year != c.year || compiler != c.compiler {
			t.Errorf("bodyIdentity(%q) = %q %d, compiler %q; want %q %d, %q", c.pre, named.agency, named.year, compiler, c.named, c.year, c.compiler)
		}
	}
}
