package tghtmltest

import "testing"

func TestWellFormed(t *testing.T) {
	good := []string{"", "x", "<b>x</b>", "<b><i>x</i></b>", "&amp;&lt;&gt;&quot;", `<a href="https://e.x/?a=1&amp;b=&quot;">l</a>`,
		`<span class="tg-spoiler">s</span>`, `<pre><code class="language-go">x</code></pre>`, "<blockquote expandable>q</blockquote>"}
	bad := []string{"<", ">", "&", "&nbsp;", "<b>x", "x</b>", "<b><i>x</b></i>", "<script>x</script>", "<b class=\"x\">y</b>",
		"<code><b>x</b></code>", "<blockquote><blockquote>x</blockquote></blockquote>", "\xff", "<span>x</span>"}
	for _, s := range good {
		if err := WellFormed(s); err != nil {
			t.Errorf("WellFormed(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range bad {
		if WellFormed(s) == nil {
			t.Errorf("WellFormed(%q) = nil, want an error", s)
		}
	}
}
