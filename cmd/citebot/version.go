package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// buildRevision is the VCS revision where the build could not record one
// because its sources have no .git (the Docker image's context leaves it
// out): set by the linker, -ldflags "-X main.buildRevision=REV".
var buildRevision string

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("version takes no arguments, got %q", rest)
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	fmt.Fprint(stdout, versionText(info, buildRevision))
	return nil
}

// versionText is what version prints: the module's version, then the
// revision, its time and whether the tree had uncommitted changes, as the
// Go toolchain recorded them (go build in a clone records them; go run,
// go test and -buildvcs=false do not), then the toolchain. info is nil
// when the binary carries no build information.
func versionText(info *debug.BuildInfo, linkedRevision string) string {
	version, goVersion := "(devel)", runtime.Version()
	vcs := map[string]string{}
	if info != nil {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			vcs[s.Key] = s.Value
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "citebot %s\n", version)
	switch rev := vcs["vcs.revision"]; {
	case rev != "":
		fmt.Fprintf(&b, "revision: %s\n", rev)
		if t := vcs["vcs.time"]; t != "" {
			fmt.Fprintf(&b, "time: %s\n", t)
		}
		if vcs["vcs.modified"] == "true" {
			b.WriteString("modified: true (built with uncommitted changes)\n")
		} else if vcs["vcs.modified"] == "false" {
			b.WriteString("modified: false\n")
		}
	case linkedRevision != "":
		fmt.Fprintf(&b, "revision: %s\n", linkedRevision)
	default:
		b.WriteString("revision: unknown (built without version control information: by go run, with -buildvcs=false, or from sources without .git)\n")
	}
	fmt.Fprintf(&b, "go: %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
