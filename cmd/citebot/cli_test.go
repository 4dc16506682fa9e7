package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A mistake on the command line is one line on stderr, said once, with
// the flag or command most likely meant; the flags' list is for -h.
func TestBadFlagOneLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"ask", "--jsn", "When?"}, `citebot: ask: unknown flag --jsn (did you mean --json?); "citebot ask -h" lists its flags`},
		{[]string{"ask", "-jsn", "When?"}, `citebot: ask: unknown flag --jsn (did you mean --json?); "citebot ask -h" lists its flags`},
		{[]string{"ask", "When?", "--frobnicate"}, `citebot: ask: unknown flag --frobnicate; "citebot ask -h" lists its flags`},
		{[]string{"index", "--doc", "x"}, `citebot: index: unknown flag --doc (did you mean --docs?); "citebot index -h" lists its flags`},
		{[]string{"serve", "--adr", ":0"}, `citebot: serve: unknown flag --adr (did you mean --addr?); "citebot serve -h" lists its flags`},
		{[]string{"serve", "--max-conn", "5"}, `citebot: serve: unknown flag --max-conn (did you mean --max-conns?); "citebot serve -h" lists its flags`},
		{[]string{"eval", "--sett", "x.jsonl"}, `citebot: eval: unknown flag --sett (did you mean --set?); "citebot eval -h" lists its flags`},
		{[]string{"ask", "--k", "five", "When?"}, `citebot: ask: invalid value "five" for flag -k: parse error`},
		{[]string{"ask", "When?", "--k"}, `citebot: ask: flag needs an argument: -k`},
		{[]string{"serv"}, `citebot: unknown command "serv" (did you mean serve?)`},
		{[]string{"--docs", "x", "index"}, `citebot: --docs comes before the command: flags go after it (citebot COMMAND --docs); only --config may come before`},
		{[]string{"--config"}, `citebot: --config needs a file`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := cli(t, nil, "", tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2", r.code)
			}
			// An unknown command still lists the commands, before the line.
			got := r.stderr
			if i := strings.LastIndex(got, "\ncitebot: "); i >= 0 && strings.HasPrefix(got, "citebot answers") {
				got = got[i+1:]
			}
			if got != tt.want+"\n" {
				t.Errorf("stderr:\n%s\nwant the one line\n%s", r.stderr, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
		})
	}
	// -h still lists every flag, once, and exits 0.
	r := cli(t, nil, "", "ask", "-h")
	if r.code != 0 || strings.Count(r.stderr, "Usage of citebot ask:") != 1 || !strings.Contains(r.stderr, "-json") {
		t.Errorf("ask -h: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// configs/citebot.yaml's usage line, citebot --config FILE COMMAND, works:
// --config before the command stands in for CITEBOT_CONFIG, so the
// command's own --config still wins over it.
func TestConfigBeforeCommand(t *testing.T) {
	ix := seedIndex(t)
	dir := t.TempDir()
	asJSON := filepath.Join(dir, "json.yaml")
	writeFile(t, asJSON, "docs: "+seeds+"\nindex: "+ix+"\njson: true\n")
	asText := filepath.Join(dir, "text.yaml")
	writeFile(t, asText, "docs: "+seeds+"\nindex: "+ix+"\njson: false\n")
	q := "When did the SCO agreement come into effect?"
	isJSON := func(s string) bool { return strings.HasPrefix(s, `{"question":`) }

	tests := []struct {
		name string
		env  map[string]string
		args []string
		json bool
	}{
		{"--config FILE COMMAND", nil, []string{"--config", asJSON, "ask", q}, true},
		{"--config=FILE COMMAND", nil, []string{"--config=" + asJSON, "ask", q}, true},
		{"-config FILE COMMAND", nil, []string{"-config", asJSON, "ask", q}, true},
		{"the shipped file's usage line", nil, []string{"--config", "../../configs/citebot.yaml", "ask", "--docs", seeds, "--index", ix, "--json", q}, true},
		{"before the command wins over CITEBOT_CONFIG", map[string]string{"CITEBOT_CONFIG": asText}, []string{"--config", asJSON, "ask", q}, true},
		{"the command's own --config wins", nil, []string{"--config", asJSON, "ask", "--config", asText, q}, false},
		{"the last of two before the command", nil, []string{"--config", asJSON, "--config", asText, "ask", q}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRun(t, tt.env, "", tt.args...)
			if got := isJSON(r.stdout); got != tt.json {
				t.Errorf("JSON output = %v, want %v:\n%s", got, tt.json, r.stdout)
			}
		})
	}
	if r := cli(t, nil, "", "--config", filepath.Join(dir, "none.yaml"), "index"); r.code != 2 || !strings.Contains(r.stderr, "none.yaml") {
		t.Errorf("a missing file before the command: exit %d, stderr %q", r.code, r.stderr)
	}
}
