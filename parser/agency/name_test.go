package agency

import (
	"strings"
	"testing"
)

// Real organ names from the spec, the fixtures and issue 12.
func TestCompare(t *testing.T) {
	cases := []struct {
		a, b string
		want Match
	}{
		{"淮安市洪泽区人民政府", "淮安市洪泽区人民政府", Same},
		{"淮安市 洪泽区人民政府", "淮安市洪泽区人民政府", Same},
		{"平潭综合实验区党工委管委会", "平潭综合实验区管委会", Same},
		{"平潭综合实验区管委会（本级）", "平潭综合实验区党工委管委会", Same},
		{"平潭综合实验区管委会本级", "平潭综合实验区管委会", Same},
		{"平潭综合实验区市场监督管理局", "平潭综合实验区市场监督管理局（知识产权局）", Same},
		{"平潭综合实验区市场监督管理局", "平潭综合实验区市场监督管理局【本级】", Same},
		{"淮安市洪泽区人民政府", "洪泽区人民政府", ParentDivision},
		{"江苏省淮安市洪泽区人民政府", "淮安市洪泽区人民政府", ParentDivision},
		{"江苏省淮安市洪泽区人民政府", "洪泽区人民政府", ParentDivision},
		{"济南市市中区人民政府", "市中区人民政府", ParentDivision},
		{"宿迁市沭阳县发展和改革局", "沭阳县发展和改革局", ParentDivision},
		{"衡阳市人防办", "衡阳市人民防空办公室", Abbreviation},
		{"沭阳县发改局", "沭阳县发展和改革局", Abbreviation},
		{"宿迁市沭阳县发改局", "沭阳县发展和改革局", Abbreviation},
		{"湛江市市监局", "湛江市市场监督管理局", Abbreviation},
		{"湛江市市场监管局", "湛江市市场监督管理局", Abbreviation},
		{"泰州市政府", "泰州市人民政府", Abbreviation},
		{"泰州市政府办", "泰州市人民政府办公室", Abbreviation},
		{"平潭综合实验区审批局", "平潭综合实验区行政审批局", Abbreviation},
		{"淮安市住建局", "淮安市住房和城乡建设局", Abbreviation},
		{"湛江市城管局", "湛江市城市管理局", Abbreviation},
		{"某某县卫健委", "某某县卫生健康委员会", Abbreviation},
		{"某某县教体局", "某某县教育体育局", Abbreviation},
		{"某某县人社局", "某某县人力资源和社会保障局", Abbreviation},
		{"中关村街道办", "中关村街道办事处", Abbreviation},
		{"苏州工业园区管委会", "苏州工业园区管理委员会", Abbreviation},
		// Not the same organ, or nothing to tell.
		{"淮安市人民政府", "淮安市洪泽区人民政府", Different},
		{"北京市洪泽区人民政府", "淮安市洪泽区人民政府", Different},
		{"洪泽区人民政府", "洪泽区人民政府办公室", Different},
		{"上海市人民政府办公厅", "上海市人民政府", Different},
		{"湛江市司法局", "湛江市法制局", Different}, // a rename: configuration, not a name rule
		{"司法局", "湛江市司法局", Different},
		{"国家税务总局平潭综合实验区税务局", "平潭综合实验区税务局", Different},
		{"平潭综合实验区行政审批局", "平潭综合实验区公安局", Different},
		{"", "湛江市司法局", Different},
		{"（本级）", "（本级）", Different},
	}
	for _, c := range cases {
		got, why := Compare(c.a, c.b)
		if got != c.want || why == "" {
			t.Errorf("Compare(%q, %q) = %s (%s), want %s", c.a, c.b, got, why, c.want)
		}
		if back, _ := Compare(c.b, c.a); back != got {
			t.Errorf("Compare(%q, %q) = %s, but %s the other way", c.b, c.a, back, got)
		}
	}
	if _, why := Compare("淮安市洪泽区人民政府", "洪泽区人民政府"); why != "淮安市洪泽区人民政府 adds the parent division 淮安市 to 洪泽区人民政府" {
		t.Errorf("reason %q", why)
	}
}

func TestDivisions(t *testing.T) {
	cases := []struct{ name, divs, strip string }{
		{"江苏省淮安市洪泽区人民政府", "江苏省 淮安市 洪泽区", "洪泽区人民政府"},
		{"淮安市洪泽区人民政府", "淮安市 洪泽区", "洪泽区人民政府"},
		{"洪泽区人民政府", "洪泽区", "洪泽区人民政府"},
		{"平潭综合实验区君山片区管理局", "平潭综合实验区 君山片区", "君山片区管理局"},
		{"平潭综合实验区党工委管委会", "平潭综合实验区", "平潭综合实验区管委会"},
		{"湛江市市场监督管理局", "湛江市", "湛江市市场监督管理局"},
		{"湛江市城市管理局", "湛江市", "湛江市城市管理局"},
		{"淮安市住房和城乡建设局", "淮安市", "淮安市住房和城乡建设局"},
		{"沭阳县乡村振兴局", "沭阳县", "沭阳县乡村振兴局"},
		{"广州市人民政府", "广州市", "广州市人民政府"},
		{"济南市市中区人民政府", "济南市 市中区", "市中区人民政府"},
		{"上海市浦东新区人民政府", "上海市 浦东新区", "浦东新区人民政府"},
		{"延边朝鲜族自治州人民政府", "延边朝鲜族自治州", "延边朝鲜族自治州人民政府"},
		{"广西壮族自治区人民政府办公厅", "广西壮族自治区", "广西壮族自治区人民政府办公厅"},
		{"北京市海淀区中关村街道办事处", "北京市 海淀区 中关村街道", "中关村街道办事处"},
		{"下各镇", "下各镇", "下各镇"},
		{"国家税务总局平潭综合实验区税务局", "", "国家税务总局平潭综合实验区税务局"},
		{"区发改局", "", "区发改局"},
		{"", "", ""},
	}
	for _, c := range cases {
		if got := strings.Join(Divisions(c.name), " "); got != c.divs {
			t.Errorf("Divisions(%q) = %q, want %q", c.name, got, c.divs)
		}
		if got := StripParents(c.name); got != c.strip {
			t.Errorf("StripParents(%q) = %q, want %q", c.name, got, c.strip)
		}
	}
	if got := Division("淮安市洪泽区人民政府"); got != "淮安市洪泽区" {
		t.Errorf("Division = %q, want 淮安市洪泽区", got)
	}
	if got := Division("衡阳市人防办"); got != "衡阳市" {
		t.Errorf("Division = %q, want 衡阳市", got)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"淮安市洪泽区人民政府（本级）":       "淮安市洪泽区人民政府",
		" 淮安市　洪泽区人民政府 ":        "淮安市洪泽区人民政府",
		"“湛江市司法局”":             "湛江市司法局",
		"平潭综合实验区党工委、管委会":       "平潭综合实验区管委会",
		"某某县人民政府(机关本级)":        "某某县人民政府",
		"某某县人民政府机关本级":          "某某县人民政府",
		"ＸＸ县人民政府":              "XX县人民政府",
		"平潭综合实验区市场监督管理局（知识产权局": "平潭综合实验区市场监督管理局",
		"本级": "本级",
		"":   "",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every short form expands to its full form after a division, and a full
// name is left alone.
func TestExpand_Table(t *testing.T) {
	forms := ShortForms()
	if len(forms) < 40 {
		t.Fatalf("%d short forms", len(forms))
	}
	for _, f := range forms {
		if got := Expand("某某县" + f.Short); got != "某某县"+f.Full {
			t.Errorf("Expand(某某县%s) = %q, want 某某县%s", f.Short, got, f.Full)
		}
		if got := Expand("某某县" + f.Full); got != "某某县"+f.Full {
			t.Errorf("Expand(某某县%s) = %q, want it unchanged", f.Full, got)
		}
	}
	for in, want := range map[string]string{
		"衡阳市人防办": "衡阳市人民防空办公室", "洪泽区政府": "洪泽区人民政府", "洪泽区人民政府": "洪泽区人民政府",
		"平潭综合实验区行政审批局": "平潭综合实验区行政审批局", "湛江市司法局": "湛江市司法局", "区发改局": "区发展和改革局",
	} {
		if got := Expand(in); got != want {
			t.Errorf("Expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatch_String(t *testing.T) {
	for m, want := range map[Match]string{Same: "same", ParentDivision: "parent_division", Abbreviation: "abbreviation", Different: "different"} {
		if m.String() != want {
			t.Errorf("%d.String() = %q", m, m.String())
		}
	}
	if !(Same > ParentDivision && ParentDivision > Abbreviation && Abbreviation > Different) {
		t.Error("levels are not ordered weakest first")
	}
}
