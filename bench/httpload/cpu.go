package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// CPU says where the machine's processor time went during the measured
// window, in cores (1.0 is one core busy throughout). On a shared machine,
// Other shows how much of it someone else took. Read from /proc, so only
// on Linux; elsewhere the result has no CPU figures.
type CPU struct {
	Cores   int     `json:"cores"`
	Busy    float64 `json:"busy"`
	LoadGen float64 `json:"loadgen"`
	Server  float64 `json:"server,omitempty"`
	Other   float64 `json:"other"`
}

// clockTicks is USER_HZ, the unit of /proc's times: 100 on every Linux
// platform Go supports.
const clockTicks = 100

// cpuSnap is the counters at one moment.
type cpuSnap struct {
	at           time.Time
	busy, self   int64
	server       int64
	cores        int
	ok, serverOK bool
}

func snapCPU(serverPID int) cpuSnap {
	s := cpuSnap{at: time.Now()}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	for line := range strings.Lines(string(stat)) {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case len(f) > 8 && f[0] == "cpu":
			// user nice system idle iowait irq softirq steal
			for i, v := range f[1:9] {
				n, _ := strconv.ParseInt(v, 10, 64)
				if i != 3 && i != 4 {
					s.busy += n
				}
			}
		case strings.HasPrefix(f[0], "cpu") && len(f[0]) > 3:
			s.cores++
		}
	}
	self, ok := procTicks("self")
	if !ok {
		return s
	}
	s.self, s.ok = self, true
	if serverPID > 0 {
		s.server, s.serverOK = procTicks(strconv.Itoa(serverPID))
	}
	return s
}

// procTicks is a process's user plus system time, in clock ticks.
func procTicks(pid string) (int64, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from the last ')'. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	return ut + st, err1 == nil && err2 == nil
}

// cpuBetween is the CPU use between two snapshots, nil when unknown or
// when the window is too short for /proc's 10 ms ticks to say much.
func cpuBetween(a, b cpuSnap) *CPU {
	secs := b.at.Sub(a.at).Seconds()
	if !a.ok || !b.ok || secs < 1 {
		return nil
	}
	cores := func(ticks int64) float64 { return round2(float64(ticks) / clockTicks / secs) }
	c := &CPU{Cores: b.cores, Busy: cores(b.busy - a.busy), LoadGen: cores(b.self - a.self)}
	if a.serverOK && b.serverOK {
		c.Server = cores(b.server - a.server)
	}
	c.Other = max(0, round2(c.Busy-c.LoadGen-c.Server))
	return c
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

func (c *CPU) String() string {
	s := fmt.Sprintf("machine %.2f of %d cores busy: load generator %.2f", c.Busy, c.Cores, c.LoadGen)
	if c.Server > 0 {
		s += fmt.Sprintf(", server %.2f", c.Server)
	}
	return s + fmt.Sprintf(", others %.2f", c.Other)
}
