package agency

import (
	"errors"
	"fmt"
)

// Rule is one statement of the configuration about an organ (an entry of
// the config's agencies: section). Name is the organ as it is called now;
// every other field is optional.
type Rule struct {
	// Name is the organ's current name; it becomes the register's name for
	// the organ.
	Name string `json:"name"`
	// Aliases are other names of the same organ (short forms, a second
	// name it bears, a spelling its pages use).
	Aliases []string `json:"aliases,omitempty"`
	// Codes are the organ's codes (organisation or credit code); a report
	// carrying one belongs to the organ whatever name it prints.
	Codes []string `json:"codes,omitempty"`
	// RenamedFrom are earlier names of the same organ, each with the first
	// statistics year of the newer name (机构改革 2019: 法制局 → 司法局). The
	// organ keeps one agency_id across the rename.
	RenamedFrom []Change `json:"renamed_from,omitempty"`
	// MergedFrom are organs merged into this one from the given year
	// (工商局, 质监局 and 食药监局 into 市场监督管理局, 2019). They stay organs
	// of their own, with their years before; the register links them.
	MergedFrom []Change `json:"merged_from,omitempty"`
	// SplitFrom is the organ this one was split from, from the given year;
	// linked like MergedFrom.
	SplitFrom []Change `json:"split_from,omitempty"`
}

// Change is another organ's name and the first statistics year of the
// change it took part in.
type Change struct {
	Name string `json:"name"`
	Year int    `json:"year"`
}

// Link is a relation between two organs stated by a rule: Kind is
// "renamed_from" (Name is a former name of the same organ),
// "merged_from" or "split_from" (Name is another organ, the predecessor).
type Link struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Year int    `json:"year"`
}

// Names returns every name the rule gives its organ: Name, the aliases
// and the former names.
func (r *Rule) Names() []string {
	out := append([]string{r.Name}, r.Aliases...)
	for _, c := range r.RenamedFrom {
		out = append(out, c.Name)
	}
	return out
}

// Links returns the rule's renames, mergers and splits as links.
func (r *Rule) Links() []Link {
	var out []Link
	for _, set := range []struct {
		kind string
		cs   []Change
	}{{"renamed_from", r.RenamedFrom}, {"merged_from", r.MergedFrom}, {"split_from", r.SplitFrom}} {
		for _, c := range set.cs {
			out = append(out, Link{Kind: set.kind, Name: c.Name, Year: c.Year})
		}
	}
	return out
}

// says describes why the rule names name.
func (r *Rule) says(name string) string {
	e := Expand(name)
	for _, c := range r.RenamedFrom {
		if Expand(c.Name) == e {
			return fmt.Sprintf("%s was renamed %s in %d", c.Name, r.Name, c.Year)
		}
	}
	if Expand(r.Name) == e {
		return "the organ " + r.Name
	}
	for _, a := range r.Aliases {
		if Expand(a) == e {
			return fmt.Sprintf("%s is an alias of %s", a, r.Name)
		}
	}
	return "an organ code of " + r.Name
}

// Rules is a checked set of rules with their names and codes indexed. The
// zero value and nil hold no rules.
type Rules struct {
	entries []Rule
	byName  map[string]int // Expand(name) → entry
	byCode  map[string]int // OrgCode → entry
}

// RuleError is a problem in one rule: Entry is its index, Field the field
// ("name", "aliases[1]", "renamed_from[0].year").
type RuleError struct {
	Entry int
	Field string
	Err   error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("agencies[%d].%s: %v", e.Entry, e.Field, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

// NewRules checks entries and indexes them. It returns a *RuleError for
// the first problem: an empty name, a name given in two rules (a name can
// be one organ's only; within a rule a repeated name, or a short form of
// one, is harmless), a former name equal to the rule's
// name, a year outside 1990–2100, a code that is neither an organisation
// nor a credit code (NormalizeCode), a code in two rules, or a merge or
// split naming the rule's own organ.
func NewRules(entries []Rule) (*Rules, error) {
	rs := &Rules{entries: entries, byName: map[string]int{}, byCode: map[string]int{}}
	for i := range entries {
		r := &entries[i]
		fail := func(field string, format string, args ...any) error {
			return &RuleError{Entry: i, Field: field, Err: fmt.Errorf(format, args...)}
		}
		name := func(field, n string) error {
			e := Expand(n)
			if e == "" {
				return fail(field, "needs an organ's name")
			}
			if j, dup := rs.byName[e]; dup {
				if j == i {
					return nil // the entry's own name again, maybe in another form (人防办): harmless
				}
				return fail(field, "%s is already a name of agencies[%d] (%s): a name belongs to one organ", n, j, entries[j].Name)
			}
			rs.byName[e] = i
			return nil
		}
		year := func(field string, y int) error {
			if y < 1990 || y > 2100 {
				return fail(field, "%d is not a statistics year (1990–2100)", y)
			}
			return nil
		}
		if err := name("name", r.Name); err != nil {
			return nil, err
		}
		for j, a := range r.Aliases {
			if err := name(fmt.Sprintf("aliases[%d]", j), a); err != nil {
				return nil, err
			}
		}
		for j, c := range r.RenamedFrom {
			f := fmt.Sprintf("renamed_from[%d]", j)
			if Expand(c.Name) == Expand(r.Name) {
				return nil, fail(f+".name", "%s is the entry's own name", c.Name)
			}
			if err := name(f+".name", c.Name); err != nil {
				return nil, err
			}
			if err := year(f+".year", c.Year); err != nil {
				return nil, err
			}
		}
		for _, set := range []struct {
			key string
			cs  []Change
		}{{"merged_from", r.MergedFrom}, {"split_from", r.SplitFrom}} {
			for j, c := range set.cs {
				f := fmt.Sprintf("%s[%d]", set.key, j)
				if Expand(c.Name) == "" {
					return nil, fail(f+".name", "needs an organ's name")
				}
				if Expand(c.Name) == Expand(r.Name) {
					return nil, fail(f+".name", "%s is the entry's own organ", c.Name)
				}
				if err := year(f+".year", c.Year); err != nil {
					return nil, err
				}
			}
		}
		for j, c := range r.Codes {
			f := fmt.Sprintf("codes[%d]", j)
			oc := OrgCode(c)
			if oc == "" {
				return nil, fail(f, "%q is not an organ code (9 characters, as 01424668-5, or an 18-character credit code)", c)
			}
			if k, dup := rs.byCode[oc]; dup && k != i {
				return nil, fail(f, "%s is already a code of agencies[%d] (%s)", c, k, entries[k].Name)
			}
			rs.byCode[oc] = i
		}
	}
	// A merge or split must not name an organ that a rule says is this one.
	for i := range entries {
		for _, l := range entries[i].Links() {
			if l.Kind == "renamed_from" {
				continue
			}
			if j, ok := rs.byName[Expand(l.Name)]; ok && j == i {
				return nil, &RuleError{Entry: i, Field: l.Kind, Err: errors.New(l.Name + " is a name of this entry's own organ")}
			}
		}
	}
	return rs, nil
}

// Entries returns the rules in order. Callers must not modify them.
func (rs *Rules) Entries() []Rule {
	if rs == nil {
		return nil
	}
	return rs.entries
}

// Len returns the number of rules.
func (rs *Rules) Len() int { return len(rs.Entries()) }

// Match returns the rule that names name (its name, an alias or a former
// name, compared written out: Expand) or, failing that, lists code; nil
// when none does.
func (rs *Rules) Match(name, code string) *Rule {
	if rs == nil || len(rs.entries) == 0 {
		return nil
	}
	if i, ok := rs.byName[Expand(name)]; ok {
		return &rs.entries[i]
	}
	if oc := OrgCode(code); oc != "" {
		if i, ok := rs.byCode[oc]; ok {
			return &rs.entries[i]
		}
	}
	return nil
}

// Rule returns the rule whose Name is name exactly, or nil.
func (rs *Rules) Rule(name string) *Rule {
	for i := range rs.Entries() {
		if rs.entries[i].Name == name {
			return &rs.entries[i]
		}
	}
	return nil
}

// String summarises the rules for logs: "3 rules (12 names)".
func (rs *Rules) String() string {
	n := 0
	for i := range rs.Entries() {
		n += len(rs.entries[i].Names())
	}
	return fmt.Sprintf("%d rules (%d names)", rs.Len(), n)
}
