package nexmark

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/cockroachdb/errors"
)

// userHZ is the unit of utime and stime in /proc/<pid>/stat. The kernel
// reports them in USER_HZ, which is 100 on every Linux architecture Go
// supports (sysconf(_SC_CLK_TCK)), whatever the kernel's own HZ.
const userHZ = 100

// ProcStat is a snapshot of a process's CPU time and memory from /proc.
type ProcStat struct {
	// CPUSeconds is utime + stime: every thread of the process, so Pebble
	// compactions, checkpoint uploads and the Go GC count.
	CPUSeconds float64
	// RSSBytes is VmRSS, PeakRSSBytes is VmHWM (the high-water mark since
	// the process started).
	RSSBytes, PeakRSSBytes int64
}

// ReadProcStat reads /proc/<pid>/stat and /proc/<pid>/status.
func ReadProcStat(pid int) (ProcStat, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return ProcStat{}, errors.Wrap(err, "reading process CPU time")
	}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return ProcStat{}, errors.Wrap(err, "reading process memory")
	}
	return parseProcStat(stat, status)
}

// parseProcStat decodes the contents of /proc/<pid>/stat and status.
func parseProcStat(stat, status []byte) (ProcStat, error) {
	var ps ProcStat
	// The command name (field 2) is in parentheses and may hold spaces:
	// fields are counted after the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return ps, errors.Newf("unexpected /proc stat: %q", stat)
	}
	fields := strings.Fields(string(stat[i+1:]))
	// fields[0] is field 3 (state); utime is field 14, stime field 15.
	if len(fields) < 13 {
		return ps, errors.Newf("unexpected /proc stat: %q", stat)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil || utime < 0 || stime < 0 {
		return ps, errors.Newf("unexpected /proc stat: %q", stat)
	}
	ps.CPUSeconds = float64(utime+stime) / userHZ
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			ps.RSSBytes = parseKB(line)
		case strings.HasPrefix(line, "VmHWM:"):
			ps.PeakRSSBytes = parseKB(line)
		}
	}
	return ps, nil
}

// parseKB reads "VmRSS:	  123456 kB".
func parseKB(line string) int64 {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseInt(f[1], 10, 64)
	return n * 1024
}

// Machine describes where a benchmark ran.
type Machine struct {
	CPUs     int        `json:"nproc"`
	CPUModel string     `json:"cpu_model"`
	MemBytes int64      `json:"mem_total_bytes"`
	LoadAvg  [3]float64 `json:"loadavg_at_start"`
	Kernel   string     `json:"kernel"`
}

// ReadLoadAvg returns the 1, 5 and 15 minute load averages.
func ReadLoadAvg() [3]float64 {
	var la [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return la
	}
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		la[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return la
}

// ReadMachine describes this machine from /proc.
func ReadMachine(cpus int) Machine {
	m := Machine{CPUs: cpus, LoadAvg: ReadLoadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				m.MemBytes = parseKB(line)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
