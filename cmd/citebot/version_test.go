package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	goLine := "go: go1.26.0 " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name   string
		info   *debug.BuildInfo
		linked string
		want   string
	}{
		{
			name: "go build in a clone",
			info: &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "citebot", Version: "v0.0.0-20260101120000-0123456789ab"},
				Settings: settings("-trimpath", "true", "vcs", "git", "vcs.revision", "0123456789abcdef0123456789abcdef01234567", "vcs.time", "2026-01-01T12:00:00Z", "vcs.modified", "false")},
			want: "citebot v0.0.0-20260101120000-0123456789ab\nrevision: 0123456789abcdef0123456789abcdef01234567\ntime: 2026-01-01T12:00:00Z\nmodified: false\n" + goLine,
		},
		{
			name: "uncommitted changes",
			info: &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "citebot", Version: "v0.0.0-20260101120000-0123456789ab+dirty"},
				Settings: settings("vcs.revision", "0123456789abcdef0123456789abcdef01234567", "vcs.time", "2026-01-01T12:00:00Z", "vcs.modified", "true")},
			want: "citebot v0.0.0-20260101120000-0123456789ab+dirty\nrevision: 0123456789abcdef0123456789abcdef01234567\ntime: 2026-01-01T12:00:00Z\nmodified: true (built with uncommitted changes)\n" + goLine,
		},
		{
			name: "a tagged release",
			info: &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "citebot", Version: "v1.2.3"},
				Settings: settings("vcs.revision", "fedcba", "vcs.modified", "false")},
			want: "citebot v1.2.3\nrevision: fedcba\nmodified: false\n" + goLine,
		},
		{
			name: "go run: no VCS information",
			info: &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "citebot", Version: "(devel)"}, Settings: settings("-buildmode", "exe")},
			want: "citebot (devel)\nrevision: unknown (built without version control information: by go run, with -buildvcs=false, or from sources without .git)\n" + goLine,
		},
		{
			name:   "the Docker image: the revision given to the linker",
			info:   &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "citebot", Version: "(devel)"}},
			linked: "0123456789abcdef",
			want:   "citebot (devel)\nrevision: 0123456789abcdef\n" + goLine,
		},
		{
			name:   "the toolchain's record wins over the linker's",
			info:   &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.0.0"}, Settings: settings("vcs.revision", "abc")},
			linked: "def",
			want:   "citebot v1.0.0\nrevision: abc\n" + goLine,
		},
		{
			name: "no build information at all",
			info: nil,
			want: "citebot (devel)\nrevision: unknown (built without version control information: by go run, with -buildvcs=false, or from sources without .git)\ngo: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n",
		},
		{
			name: "an empty main module version",
			info: &debug.BuildInfo{},
			want: "citebot (devel)\nrevision: unknown (built without version control information: by go run, with -buildvcs=false, or from sources without .git)\ngo: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionText(tt.info, tt.linked); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// The test binary is built like go run's: the command must still say
// something sensible, and take no arguments.
func TestVersionCommand(t *testing.T) {
	r := mustRun(t, nil, "", "version")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "citebot ") || !strings.HasPrefix(lines[1], "revision: ") ||
		lines[len(lines)-1] != "go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH || r.stderr != "" {
		t.Errorf("version printed\n%s\nstderr %q", r.stdout, r.stderr)
	}
	if r := mustRun(t, nil, "", "--config", "no-such.yaml", "version"); r.stdout != mustRun(t, nil, "", "version").stdout {
		t.Errorf("version with --config: %q", r.stdout)
	}
	if r := cli(t, nil, "", "version", "extra"); r.code != 2 || !strings.Contains(r.stderr, "no arguments") {
		t.Errorf("version extra: exit %d, stderr %q", r.code, r.stderr)
	}
}
