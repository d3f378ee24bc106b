package crawler

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
)

// Challenge and block markers (spec/sites.md B9).
var (
	tagRe = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
	// captchaWords mark a verification wall on a small page. 请稍候 is not
	// one of them: list shells say "数据加载中，请稍候".
	captchaWords = []string{"安全验证", "访问异常", "访问验证", "人机验证", "滑动验证", "验证码"}
)

// smallPage is the size under which text markers (安全验证, 访问异常…) are
// taken as a challenge: real report pages are larger, and a report that
// mentions such a word in its prose must not be rejected.
const smallPage = 16 << 10

// blockKind classifies an anti-bot challenge or block page; "" means the
// response looks like real content. text is the body decoded to UTF-8 (nil
// for binary bodies).
func blockKind(status int, hdr http.Header, text []byte) string {
	cookies := strings.Join(hdr.Values("Set-Cookie"), ";")
	switch {
	case bytes.Contains(text, []byte("$_ts")) && (status == 412 || status == 202 || len(text) < 64<<10):
		return "ruishu"
	case status == 521 || strings.Contains(cookies, "__jsluid") || (len(text) < smallPage && bytes.Contains(text, []byte("__jsl_clearance"))):
		return "jiasule"
	case bytes.Contains(text, []byte("wzwschallenge")) || bytes.Contains(text, []byte("WZWSREL")) || strings.Contains(cookies, "wzws_cid"):
		return "wzws"
	case len(text) < smallPage && (bytes.Contains(text, []byte("Just a moment")) || bytes.Contains(text, []byte("cf-chl"))):
		return "just-a-moment"
	}
	if len(text) < smallPage && !bytes.Contains(text, []byte("_CONFIG")) {
		for _, w := range captchaWords {
			if bytes.Contains(text, []byte(w)) {
				return "captcha"
			}
		}
	}
	switch status {
	case 412:
		return "http 412"
	case 403:
		return "http 403"
	case 503:
		if bytes.Contains(bytes.ToLower(text), []byte("<script")) {
			return "http 503"
		}
	}
	// A JS-only shell is a challenge, except the gkmlpt index, a Vue app
	// whose data the crawler reads from window._CONFIG and the JSON API.
	if status >= 200 && status < 300 && len(text) > 0 && len(text) < 500 &&
		bytes.Contains(bytes.ToLower(text), []byte("<script")) && !bytes.Contains(text, []byte("_CONFIG")) {
		visible := strings.TrimSpace(collapse(string(tagRe.ReplaceAll(text, nil))))
		if len([]rune(visible)) < 40 {
			return "js-only"
		}
	}
	return ""
}
