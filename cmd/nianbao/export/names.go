package export

import (
	"regexp"
	"strings"
)

// parentDivisions matches a run of higher-level divisions that one year's
// title may put before the organ's own name: 江苏省, 淮安市, 延边朝鲜族自治州,
// 阿拉善盟, 和田地区.
var parentDivisions = regexp.MustCompile(`^(?:\p{Han}{1,10}?(?:省|自治区|自治州|市|州|地区|盟))+$`)

// placeName matches a name that begins with its own place (洪泽区…, 沭阳县…),
// so that dropping a parent division still leaves a whole organ name
// ("淮安市人民政府" and "人民政府" are not the same organ).
var placeName = regexp.MustCompile(`^\p{Han}{1,8}?(?:区|县|旗|市[^场])`)

// WithoutParentDivisions returns name with its leading parent divisions
// dropped, shortest prefix first ("江苏省淮安市洪泽区人民政府" gives
// "淮安市洪泽区人民政府" and "洪泽区人民政府"); each remainder still begins
// with its own place.
func WithoutParentDivisions(name string) []string {
	var out []string
	for i := range name {
		if i == 0 {
			continue
		}
		p, rest := name[:i], name[i:]
		if parentDivisions.MatchString(p) && placeName.MatchString(rest) {
			out = append(out, rest)
		}
	}
	return out
}

// ParentDivisionOnly returns the prefix P when one name is P + the other and
// P is only parent divisions ("淮安市洪泽区人民政府" vs "洪泽区人民政府" gives
// "淮安市"), else "".
func ParentDivisionOnly(a, b string) string {
	if len(a) < len(b) {
		a, b = b, a
	}
	if a == b || !strings.HasSuffix(a, b) || !placeName.MatchString(b) {
		return ""
	}
	p := strings.TrimSuffix(a, b)
	if !parentDivisions.MatchString(p) {
		return ""
	}
	return p
}
