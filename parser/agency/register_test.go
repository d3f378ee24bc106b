package agency

import (
	"errors"
	"strings"
	"testing"
)

func TestStem(t *testing.T) {
	for in, want := range map[string]string{
		"淮安市洪泽区人民政府":       "洪泽区人民政府",
		"江苏省淮安市洪泽区人民政府":    "洪泽区人民政府",
		"洪泽区政府":            "洪泽区人民政府",
		"淮安市洪泽区人民政府（本级）":   "洪泽区人民政府",
		"衡阳市人防办":           "衡阳市人民防空办公室",
		"衡阳市人民防空办公室":       "衡阳市人民防空办公室",
		"湖南省衡阳市发改委":        "衡阳市发展和改革委员会",
		"司法局":              "司法局",
		"国家税务总局平潭综合实验区税务局": "国家税务总局平潭综合实验区税务局",
	} {
		if got := Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
}

// Issue 12: the register merges names of one organ only when an organ code
// or the site agrees, and proposes the rest.
func TestResolve(t *testing.T) {
	const code = "01424668-5" // valid
	credit := "11320829014246685" + string(usccCheck("11320829014246685"))
	hongze := Organ{ID: "a:hongze", Names: []string{"淮安市洪泽区人民政府"}, Sites: []string{"洪泽区"}}
	hongzeCode := Organ{ID: "a:hongze", Names: []string{"洪泽区人民政府"}, Codes: []string{"014246685"}, Sites: []string{"淮安市"}}
	renfang := Organ{ID: "a:rf", Names: []string{"衡阳市人民防空办公室"}, Sites: []string{"衡阳"}}
	fgw := Organ{ID: "a:fgw", Names: []string{"衡阳市发展和改革委员会"}, Sites: []string{"衡阳"}}
	sfj := Organ{ID: "a:sfj", Names: []string{"司法局"}, Sites: []string{"A县"}}
	xinhua := Organ{ID: "a:xh", Names: []string{"新华区人民政府"}, Sites: []string{"石家庄市"}}
	full := Organ{ID: "a:full", Names: []string{"石家庄市新华区人民政府"}, Sites: []string{"石家庄市"}}
	other := Organ{ID: "a:other", Names: []string{"洪泽区人民政府"}, Codes: []string{"006939748"}, Sites: []string{"洪泽区"}}
	cases := []struct {
		name      string
		s         Sighting
		cands     []Organ
		id        string
		match     Match
		proposals []string // proposed IDs
	}{
		{"ParentDivisionSameSite", Sighting{Name: "洪泽区人民政府", Site: "洪泽区"}, []Organ{hongze}, "a:hongze", ParentDivision, nil},
		{"ParentDivisionOtherSite", Sighting{Name: "洪泽区人民政府", Site: "淮安市"}, []Organ{hongze}, "", Same, []string{"a:hongze"}},
		{"ParentDivisionSameCode", Sighting{Name: "淮安市洪泽区人民政府", Code: code, Site: "洪泽区"}, []Organ{hongzeCode}, "a:hongze", ParentDivision, nil},
		{"CreditCodeEmbedsCode", Sighting{Name: "淮安市洪泽区人民政府", Code: credit, Site: "洪泽区"}, []Organ{hongzeCode}, "a:hongze", ParentDivision, nil},
		{"InvalidCreditCode", Sighting{Name: "淮安市洪泽区人民政府", Code: "11320829014246685T", Site: "洪泽区"}, []Organ{hongzeCode}, "", Same, []string{"a:hongze"}},
		{"NoteSameSite", Sighting{Name: "淮安市洪泽区人民政府（本级）", Site: "洪泽区"}, []Organ{hongze}, "a:hongze", Same, nil},
		{"AbbreviationSameSite", Sighting{Name: "衡阳市人防办", Site: "衡阳"}, []Organ{renfang}, "a:rf", Abbreviation, nil},
		{"AbbreviationFGW", Sighting{Name: "衡阳市发改委", Site: "衡阳"}, []Organ{fgw}, "a:fgw", Abbreviation, nil},
		{"AbbreviationOtherSite", Sighting{Name: "衡阳市人防办", Site: "湖南"}, []Organ{renfang}, "", Same, []string{"a:rf"}},
		// 司法局 on two sites is two organs; nothing to propose.
		{"UndividedOtherSite", Sighting{Name: "司法局", Site: "B县"}, []Organ{sfj}, "", Same, nil},
		{"UndividedSameSite", Sighting{Name: "司法局", Site: "A县"}, []Organ{sfj}, "a:sfj", Same, nil},
		// A local import has no site: nothing says the sites differ.
		{"UnknownSite", Sighting{Name: "司法局"}, []Organ{sfj}, "a:sfj", Same, nil},
		{"UnknownSiteAbbreviation", Sighting{Name: "衡阳市人防办"}, []Organ{renfang}, "a:rf", Abbreviation, nil},
		// 新华区 is in several cities: one division is not enough away from
		// its site; two are.
		{"OneDivisionOtherSite", Sighting{Name: "新华区人民政府", Site: "沧州市"}, []Organ{xinhua}, "", Same, []string{"a:xh"}},
		{"TwoDivisionsOtherSite", Sighting{Name: "石家庄市新华区人民政府", Site: "河北省"}, []Organ{full}, "a:full", Same, nil},
		// Two valid codes that differ keep two organs apart.
		{"CodesDiffer", Sighting{Name: "洪泽区人民政府", Code: code, Site: "洪泽区"}, []Organ{other}, "", Same, []string{"a:other"}},
		// An invalid code is no evidence either way.
		{"InvalidCodeIgnored", Sighting{Name: "洪泽区人民政府", Code: "FJ0010300", Site: "洪泽区"}, []Organ{other}, "a:other", Same, nil},
		// The same valid code under another name: a rename is proposed.
		{"SameCodeOtherName", Sighting{Name: "洪泽区司法局", Code: code, Site: "淮安市"}, []Organ{hongzeCode}, "", Same, []string{"a:hongze"}},
		// Two organs qualify: the closer name wins, the other is proposed.
		{"ClosestWins", Sighting{Name: "洪泽区人民政府", Site: "洪泽区"},
			[]Organ{hongze, {ID: "a:same", Names: []string{"洪泽区人民政府"}, Sites: []string{"洪泽区"}}}, "a:same", Same, []string{"a:hongze"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Resolve(c.s, c.cands, nil)
			var props []string
			for _, p := range d.Proposals {
				props = append(props, p.ID)
				if p.Reason == "" || p.Confirm == "" {
					t.Errorf("proposal %+v lacks its reason or confirmation", p)
				}
			}
			if d.ID != c.id || d.Match != c.match || strings.Join(props, ",") != strings.Join(c.proposals, ",") || d.Reason == "" {
				t.Errorf("Resolve = %+v, want id %q match %s proposals %v", d, c.id, c.match, c.proposals)
			}
		})
	}
}

func TestResolve_Rules(t *testing.T) {
	rules, err := NewRules([]Rule{
		{Name: "湛江市司法局", RenamedFrom: []Change{{Name: "湛江市法制局", Year: 2019}}},
		{Name: "衡阳市人民防空办公室", Aliases: []string{"衡阳市民防局"}, Codes: []string{"006939748"}},
		{Name: "湛江市市场监督管理局", MergedFrom: []Change{{Name: "湛江市工商行政管理局", Year: 2019}, {Name: "湛江市质量技术监督局", Year: 2019}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	bound := Organ{ID: "a:sfj", Names: []string{"湛江市司法局"}, Rule: "湛江市司法局"}
	cases := []struct {
		name string
		s    Sighting
		id   string
		rule string
		why  string
	}{
		{"FormerName", Sighting{Name: "湛江市法制局", Site: "x"}, "a:sfj", "湛江市司法局", "湛江市法制局 was renamed 湛江市司法局 in 2019"},
		{"Name", Sighting{Name: "湛江市司法局"}, "a:sfj", "湛江市司法局", "the organ 湛江市司法局"},
		{"AliasNewOrgan", Sighting{Name: "衡阳市民防局"}, "", "衡阳市人民防空办公室", "衡阳市民防局 is an alias of 衡阳市人民防空办公室"},
		{"Code", Sighting{Name: "某某办", Code: "00693974-8"}, "", "衡阳市人民防空办公室", "an organ code of 衡阳市人民防空办公室"},
		// A merged organ is an organ of its own: no rule names it.
		{"MergedIsOwnOrgan", Sighting{Name: "湛江市工商行政管理局"}, "", "", "no registered organ"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Resolve(c.s, []Organ{bound}, rules)
			if d.ID != c.id || d.Rule != c.rule || !strings.Contains(d.Reason, c.why) {
				t.Errorf("Resolve = %+v, want id %q rule %q reason with %q", d, c.id, c.rule, c.why)
			}
		})
	}
	if r := rules.Match("湛江市法制局", ""); r == nil || len(r.Links()) != 1 || r.Links()[0] != (Link{Kind: "renamed_from", Name: "湛江市法制局", Year: 2019}) {
		t.Errorf("links of the rename: %+v", r)
	}
}

func TestNewRules_Errors(t *testing.T) {
	cases := []struct {
		name  string
		rules []Rule
		entry int
		field string
		msg   string
	}{
		{"EmptyName", []Rule{{Name: " "}}, 0, "name", "needs an organ's name"},
		{"DuplicateAcrossRules", []Rule{{Name: "A局"}, {Name: "B局", Aliases: []string{"A局"}}}, 1, "aliases[0]", "already a name of agencies[0]"},
		{"DuplicateWrittenOut", []Rule{{Name: "衡阳市人民防空办公室"}, {Name: "湘潭局", Aliases: []string{"衡阳市人防办"}}}, 1, "aliases[0]", "already a name of agencies[0]"},
		{"RenamedToItself", []Rule{{Name: "A局", RenamedFrom: []Change{{Name: "A局", Year: 2019}}}}, 0, "renamed_from[0].name", "own name"},
		{"BadYear", []Rule{{Name: "A局", RenamedFrom: []Change{{Name: "B局", Year: 19}}}}, 0, "renamed_from[0].year", "not a statistics year"},
		{"BadCode", []Rule{{Name: "A局", Codes: []string{"12345"}}}, 0, "codes[0]", "not an organ code"},
		{"CodeTwice", []Rule{{Name: "A局", Codes: []string{"014246685"}}, {Name: "B局", Codes: []string{"01424668-5"}}}, 1, "codes[0]", "already a code"},
		{"MergedFromItself", []Rule{{Name: "A局", Aliases: []string{"甲局"}, MergedFrom: []Change{{Name: "甲局", Year: 2019}}}}, 0, "merged_from", "own organ"},
		{"SplitYear", []Rule{{Name: "A局", SplitFrom: []Change{{Name: "B局", Year: 3000}}}}, 0, "split_from[0].year", "not a statistics year"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewRules(c.rules)
			var re *RuleError
			if !errors.As(err, &re) || re.Entry != c.entry || re.Field != c.field || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("NewRules = %v, want agencies[%d].%s: …%s…", err, c.entry, c.field, c.msg)
			}
		})
	}
	// Within one entry, a short form of its own name is harmless (and the
	// rule matches it anyway).
	rs, err := NewRules([]Rule{{Name: "衡阳市人民防空办公室", Aliases: []string{"衡阳市人防办", "衡阳市人民防空办公室"}}})
	if err != nil || rs.Match("衡阳市人防办", "") == nil {
		t.Errorf("an alias that is the name written short: %v", err)
	}
	var nilRules *Rules
	if nilRules.Match("A局", "") != nil || nilRules.Len() != 0 {
		t.Error("nil rules match")
	}
}

func TestRelate(t *testing.T) {
	a := Organ{ID: "a:1", Names: []string{"淮安市洪泽区人民政府"}, Sites: []string{"淮安市"}}
	b := Organ{ID: "a:2", Names: []string{"洪泽区人民政府"}, Sites: []string{"洪泽区"}}
	p, ok := Relate(a, b)
	if !ok || p.ID != "a:2" || p.Match != ParentDivision || !strings.Contains(p.Reason, "淮安市") || p.Confirm == "" {
		t.Errorf("Relate = %+v, %v; want a proposed parent_division merge", p, ok)
	}
	// On the same site they would be one organ now.
	b.Sites = []string{"淮安市"}
	if p, ok := Relate(a, b); !ok || !strings.Contains(p.Reason, "registered before") {
		t.Errorf("Relate on one site = %+v, %v", p, ok)
	}
	if _, ok := Relate(a, Organ{ID: "a:3", Names: []string{"淮安市司法局"}, Sites: []string{"淮安市"}}); ok {
		t.Error("different organs relate")
	}
}
