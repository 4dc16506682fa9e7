package browsertest

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// Violation is an axe-core rule the page breaks, with the elements that
// break it.
type Violation struct {
	ID      string          `json:"id"`     // the rule, such as "image-alt"
	Impact  string          `json:"impact"` // minor, moderate, serious or critical
	Help    string          `json:"help"`
	HelpURL string          `json:"helpUrl"`
	Nodes   []ViolationNode `json:"nodes"`
}

// ViolationNode is one element that breaks a rule.
type ViolationNode struct {
	Target  string `json:"target"` // a CSS selector of the element
	HTML    string `json:"html"`
	Summary string `json:"failureSummary"`
}

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n\t%s: %s", n.Target, n.HTML)
	}
	return b.String()
}

// Blocking reports whether the violation is serious or critical, the
// impacts CheckAccessibility fails on.
func (v Violation) Blocking() bool { return v.Impact == "serious" || v.Impact == "critical" }

// axeSource is axe-core's script, read once from CITEBOT_AXE.
var axeSource = sync.OnceValues(func() (string, error) {
	path := os.Getenv("CITEBOT_AXE")
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("CITEBOT_AXE: %w", err)
	}
	return string(b), nil
})

// Axe runs axe-core on the page as it is now and returns the rules it
// breaks. ok is false, with no violations, when CITEBOT_AXE is unset; a
// CITEBOT_AXE that names no readable file fails the test.
func (p *Page) Axe() (violations []Violation, ok bool) {
	p.t.Helper()
	src, err := axeSource()
	if err != nil {
		p.t.Fatalf("browsertest: %v", err)
	}
	if src == "" {
		return nil, false
	}
	// Evaluated over the DevTools protocol, the script is no page script,
	// and the page's Content-Security-Policy does not apply to it. Its
	// promise needs the page's timers, which run only with scripts on.
	if p.noJS {
		p.setScripts(true)
		defer p.setScripts(false)
	}
	if !Eval[bool](p, `typeof axe === "object"`) {
		if err := chromedp.Do(p.ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			p.t.Fatalf("browsertest: loading axe-core: %v", err)
		}
	}
	return Eval[[]Violation](p, `(async () => {
		const r = await axe.run(document, {resultTypes: ["violations"]});
		return r.violations.map(v => ({
			id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
			nodes: v.nodes.map(n => ({
				target: n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : String(t)).join(" "),
				html: n.html, failureSummary: n.failureSummary || "",
			})),
		}));
	})()`), true
}

// CheckAccessibility runs axe-core on the page as it is now and fails the
// test for each serious or critical violation; the minor and moderate ones
// go to the test's log. Without CITEBOT_AXE it logs that the check was
// left out, and the test goes on.
func (p *Page) CheckAccessibility() {
	p.t.Helper()
	vs, ok := p.Axe()
	if !ok {
		p.t.Log("accessibility not checked: set CITEBOT_AXE to axe-core's axe.min.js (npm install axe-core); .ci/run does")
		return
	}
	for _, v := range vs {
		if v.Blocking() {
			p.t.Errorf("accessibility: %v", v)
		} else {
			p.t.Logf("accessibility (not failing): %v", v)
		}
	}
}
