package agency

import "strings"

// Organ codes as report pages print them in their 索引号 (the part before
// "/"): a 9-character organisation code (组织机构代码, GB 11714: 8 digits or
// capital letters and a check character, often printed "01424668-5"), or
// an 18-character unified social credit code (统一社会信用代码, GB 32100),
// whose characters 9 to 17 are the organ's organisation code. Sites print
// either form, so two captures of one organ may carry both.

// NormalizeCode returns code in canonical form, upper case and without
// the hyphen before an organisation code's check character, and reports
// whether it has the shape of an organisation code (9 characters of 0-9
// A-Z, "01424668-5" or "014246685") or a credit code (18 characters, no I,
// O, S, V or Z). It does not check the check characters (see ValidCode).
// A code of any other shape returns "", false.
func NormalizeCode(code string) (string, bool) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if len(c) == 10 && (c[8] == '-') {
		c = c[:8] + c[9:]
	}
	for i := 0; i < len(c); i++ {
		if !(c[i] >= '0' && c[i] <= '9' || c[i] >= 'A' && c[i] <= 'Z') {
			return "", false
		}
	}
	switch len(c) {
	case 9:
		return c, true
	case 18:
		for i := 0; i < 18; i++ {
			if strings.IndexByte(usccChars, c[i]) < 0 {
				return "", false
			}
		}
		return c, true
	}
	return "", false
}

// OrgCode returns the 9-character organisation code that code carries: the
// code itself, or characters 9 to 17 of a credit code. It returns "" for a
// code that is neither (see NormalizeCode). Two codes name the same organ
// when their OrgCode agree.
func OrgCode(code string) string {
	c, ok := NormalizeCode(code)
	if !ok {
		return ""
	}
	if len(c) == 18 {
		return c[8:17]
	}
	return c
}

// SameOrgan reports whether two codes carry the same organisation code
// (01424668-5, 014246685 and a credit code built on it all agree). Codes
// that are not organ codes never agree.
func SameOrgan(a, b string) bool {
	oa := OrgCode(a)
	return oa != "" && oa == OrgCode(b)
}

// ValidCode reports whether code is an organisation code or a credit code
// whose check characters hold (a credit code's embedded organisation code
// is checked too). Sites also print 索引号 prefixes of their own making; an
// invalid code is no evidence of identity.
func ValidCode(code string) bool {
	c, ok := NormalizeCode(code)
	if !ok {
		return false
	}
	if len(c) == 9 {
		return orgCheck(c[:8]) == c[8]
	}
	return usccCheck(c[:17]) == c[17] && orgCheck(c[8:16]) == c[16]
}

// orgCheck computes the GB 11714 check character of an organisation code's
// first 8 characters.
func orgCheck(body string) byte {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		c := body[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = int(c-'A') + 10
		}
		sum += v * weights[i]
	}
	switch r := 11 - sum%11; r {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + r)
	}
}

// usccChars are the characters of a credit code, by value (GB 32100).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccCheck computes the GB 32100 check character of a credit code's first
// 17 characters: weights are 3^i mod 31.
func usccCheck(body string) byte {
	sum, w := 0, 1
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(usccChars, body[i]) * w
		w = w * 3 % 31
	}
	return usccChars[(31-sum%31)%31]
}
