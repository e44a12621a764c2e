package nexmark

import (
	"os"
	"testing"
)

const sampleStat = "4012 (streamdb (x)) S 3995 4012 3995 0 -1 4194560 33571 0 0 0 250 37 0 0 20 0 9 0 1077 2192464 36249 18446744073709551615 1 1 0 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

const sampleStatus = "Name:\tstreamdb\nVmHWM:\t  237568 kB\nVmRSS:\t  144996 kB\n"

func TestParseProcStat(t *testing.T) {
	ps, err := parseProcStat([]byte(sampleStat), []byte(sampleStatus))
	if err != nil {
		t.Fatal(err)
	}
	if ps.CPUSeconds != 2.87 || ps.RSSBytes != 144996*1024 || ps.PeakRSSBytes != 237568*1024 {
		t.Fatalf("%+v", ps)
	}
	if _, err := parseProcStat([]byte("12 (x) S 1 2"), nil); err == nil {
		t.Fatal("a truncated stat line was accepted")
	}
	self, err := ReadProcStat(os.Getpid())
	if err != nil || self.RSSBytes <= 0 || self.PeakRSSBytes < self.RSSBytes {
		t.Fatalf("reading this process: %+v, %v", self, err)
	}
}

// FuzzParseProcStat: /proc contents are outside bytes; the parser never
// panics and never reports negative CPU time or memory.
func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte(sampleStat), []byte(sampleStatus))
	f.Add([]byte(")"), []byte("VmRSS:"))
	f.Fuzz(func(t *testing.T, stat, status []byte) {
		ps, err := parseProcStat(stat, status)
		if err == nil && ps.CPUSeconds < 0 {
			t.Fatalf("negative CPU time from %q", stat)
		}
	})
}
