// Command loadgen is an open-loop, constant-rate HTTPS load generator that calls a webhook the way
// kube-apiserver does: Go's net/http client over TLS with kept-alive connections (client-go's
// transport keeps up to 25 idle connections per host).
//
// Request i is due at start + i/rate. It is sent at its due time whether or not earlier requests
// have returned, and its latency is measured from the due time, so a stalled server is billed for
// every request it delays (no coordinated omission). The schedule runs on its own OS thread that
// sleeps with nanosleep and a 1 µs timer slack: Go's timers wake up to 1 ms late for sub-millisecond
// sleeps, which would otherwise be added to every measured latency.
//
// Bodies come from a file of JSON lines, used in turn. A response counts as an error when the
// request fails, the status is not 2xx, or the body lacks the -expect text ("allowed":true).
// The summary is printed as one JSON object on stdout; progress and problems go to stderr.
//
//	loadgen -url https://127.0.0.1:9443/validate -cacert ca.crt -bodies reviews.jsonl \
//	  -rate 1000 -duration 10s -warmup 1s
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	url            string
	caFile         string
	bodiesFile     string
	contentType    string
	expect         string
	rate           float64
	duration       time.Duration
	warmup         time.Duration
	timeout        time.Duration
	maxIdlePerHost int
	watchPID       int
	gcPercent      int
}

// outcome of one request. Latency is from the due time; lag is how late the request started.
type outcome struct {
	latency time.Duration
	lag     time.Duration
	status  int
	failed  bool // transport error or timeout
	wrong   bool // 2xx but the body lacks the expected text
}

type percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

type summary struct {
	TargetRate   float64     `json:"targetRatePerSecond"`
	AchievedRate float64     `json:"achievedRatePerSecond"`
	Count        int         `json:"count"`
	Errors       int         `json:"errors"`
	Non2xx       int         `json:"non2xx"`
	Failed       int         `json:"failed"`
	Unexpected   int         `json:"unexpectedBody"`
	Connections  int64       `json:"connections"`
	Latency      percentiles `json:"latencyMs"`
	ScheduleLag  percentiles `json:"scheduleLagMs"`
	Seconds      float64     `json:"seconds"`
	// CPU time in the measured phase: of this process, of -watch-pid, and of all other processes
	// (Linux: from /proc; processes that exit meanwhile are missed). Other processes' load disturbs
	// the figures on a shared machine.
	CPUSeconds        float64 `json:"cpuSeconds"`
	WatchedCPUSeconds float64 `json:"watchedCpuSeconds,omitempty"`
	OtherCPUSeconds   float64 `json:"otherCpuSeconds,omitempty"`
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", "", "URL to POST to (https://...)")
	flag.StringVar(&c.caFile, "cacert", "", "PEM file of the CA that signs the server's certificate")
	flag.StringVar(&c.bodiesFile, "bodies", "", "file of request bodies, one JSON document per line, used in turn")
	flag.StringVar(&c.contentType, "content-type", "application/json", "Content-Type of the requests")
	flag.StringVar(&c.expect, "expect", `"allowed":true`, "text every response body must contain (empty: no check)")
	flag.Float64Var(&c.rate, "rate", 1000, "requests per second")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "measured phase")
	flag.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured phase at the same rate before it")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Second, "per-request timeout (kube-apiserver's default webhook timeout)")
	flag.IntVar(&c.maxIdlePerHost, "max-idle-per-host", 25, "idle kept-alive connections per host (client-go uses 25)")
	flag.IntVar(&c.watchPID, "watch-pid", 0, "also report the CPU time of this process (the server) in the measured phase")
	flag.IntVar(&c.gcPercent, "gc-percent", -1, "GOGC for the generator; -1 (default) turns its GC off, under a 2 GiB memory limit")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	if c.url == "" || c.bodiesFile == "" || c.rate <= 0 || c.duration <= 0 {
		return fmt.Errorf("-url, -bodies, a positive -rate and -duration are required")
	}
	bodies, err := readBodies(c.bodiesFile)
	if err != nil {
		return err
	}
	client, conns, err := newClient(c)
	if err != nil {
		return err
	}
	// The schedule thread sleeps in a system call while it holds a P; a second P lets response
	// goroutines run meanwhile even when the process is pinned to one core (GOMAXPROCS would be 1).
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	// The generator's own GC would add its pauses to the measured latencies; a run allocates a few
	// hundred MB at most.
	debug.SetGCPercent(c.gcPercent)
	if c.gcPercent < 0 {
		debug.SetMemoryLimit(2 << 30)
	}
	if c.warmup > 0 {
		phase(client, c, bodies, c.warmup)
	}
	runtime.GC()
	conns.reset()
	cpu0, watched0, others0 := cpuTime(), processTicks(c.watchPID), otherTicks(c.watchPID)
	start := time.Now()
	results := phase(client, c, bodies, c.duration)
	wall := time.Since(start)
	s := summarize(c, results, wall)
	s.Connections = conns.count()
	s.CPUSeconds = round((cpuTime() - cpu0).Seconds(), 3)
	if c.watchPID > 0 && watched0 >= 0 {
		s.WatchedCPUSeconds = round(float64(processTicks(c.watchPID)-watched0)/userHZ, 2)
	}
	if others0 != nil {
		var ticks int64
		for pid, t := range otherTicks(c.watchPID) {
			ticks += t - others0[pid] // a process started meanwhile counts from 0
		}
		s.OtherCPUSeconds = round(float64(ticks)/userHZ, 2)
	}
	out, _ := json.Marshal(s)
	fmt.Println(string(out))
	return nil
}

func readBodies(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var bodies [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) > 0 {
			bodies = append(bodies, append([]byte(nil), line...))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(bodies) == 0 {
		return nil, fmt.Errorf("%s holds no bodies", path)
	}
	return bodies, nil
}

// connCounter counts TLS connections dialled, to show whether keep-alive held.
type connCounter struct {
	mu sync.Mutex
	n  int64
}

func (c *connCounter) inc()         { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *connCounter) reset()       { c.mu.Lock(); c.n = 0; c.mu.Unlock() }
func (c *connCounter) count() int64 { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

func newClient(c config) (*http.Client, *connCounter, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.caFile != "" {
		pem, err := os.ReadFile(c.caFile)
		if err != nil {
			return nil, nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("%s holds no PEM certificate", c.caFile)
		}
		tlsConfig.RootCAs = pool
	}
	conns := &connCounter{}
	transport := &http.Transport{
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: c.maxIdlePerHost,
		IdleConnTimeout:     90 * time.Second,
		// As client-go: HTTP/2 when the server offers it in ALPN, else HTTP/1.1.
		ForceAttemptHTTP2: true,
	}
	tlsConfig.VerifyConnection = func(tls.ConnectionState) error {
		conns.inc()
		return nil
	}
	return &http.Client{Transport: transport, Timeout: c.timeout}, conns, nil
}

// phase sends rate×length requests on schedule and waits for all of them.
func phase(client *http.Client, c config, bodies [][]byte, length time.Duration) []outcome {
	total := int(math.Round(c.rate * length.Seconds()))
	interval := float64(time.Second) / c.rate
	results := make([]outcome, total)
	var wg sync.WaitGroup
	wg.Add(total)

	done := make(chan struct{})
	go func() {
		// One OS thread keeps the schedule; a small timer slack makes nanosleep wake on time.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		setTimerSlack(1000)
		start := time.Now()
		for i := 0; i < total; i++ {
			due := start.Add(time.Duration(float64(i) * interval))
			if d := time.Until(due); d > 0 {
				ts := syscall.NsecToTimespec(int64(d))
				for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
				}
			}
			go func(i int, due time.Time) {
				defer wg.Done()
				results[i] = send(client, c, bodies[i%len(bodies)], due)
			}(i, due)
		}
		close(done)
	}()
	<-done
	wg.Wait()
	return results
}

func send(client *http.Client, c config, body []byte, due time.Time) outcome {
	var o outcome
	o.lag = time.Since(due)
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		o.failed = true
		o.latency = time.Since(due)
		return o
	}
	req.Header.Set("Content-Type", c.contentType)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		o.failed = true
		o.latency = time.Since(due)
		return o
	}
	// Read the whole body so the connection goes back to the pool.
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	o.latency = time.Since(due)
	o.status = resp.StatusCode
	if err != nil {
		o.failed = true
	} else if o.status >= 200 && o.status < 300 && c.expect != "" && !bytes.Contains(data, []byte(c.expect)) {
		o.wrong = true
	}
	return o
}

func summarize(c config, results []outcome, wall time.Duration) summary {
	s := summary{TargetRate: c.rate, Count: len(results), Seconds: round(wall.Seconds(), 3)}
	lat := make([]float64, 0, len(results))
	lag := make([]float64, 0, len(results))
	for _, r := range results {
		lat = append(lat, ms(r.latency))
		lag = append(lag, ms(r.lag))
		switch {
		case r.failed:
			s.Failed++
			s.Errors++
		case r.status < 200 || r.status > 299:
			s.Non2xx++
			s.Errors++
		case r.wrong:
			s.Unexpected++
			s.Errors++
		}
	}
	s.AchievedRate = round(float64(len(results))/wall.Seconds(), 0)
	s.Latency = pcts(lat)
	s.ScheduleLag = pcts(lag)
	return s
}

func pcts(v []float64) percentiles {
	if len(v) == 0 {
		return percentiles{}
	}
	sort.Float64s(v)
	at := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(v)))) - 1
		return round(v[max(0, min(len(v)-1, i))], 3)
	}
	return percentiles{P50: at(50), P90: at(90), P99: at(99), P999: at(99.9), Max: round(v[len(v)-1], 3)}
}

// cpuTime is the user and system CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// userHZ is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100 on Linux).
const userHZ = 100

// otherTicks maps each process but this one and skip to its CPU ticks so far, or is nil without /proc.
func otherTicks(skip int) map[int]int64 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	out := make(map[int]int64, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || pid == skip {
			continue
		}
		if t := processTicks(pid); t >= 0 {
			out[pid] = t
		}
	}
	return out
}

// processTicks is the user+system CPU time of a process so far (/proc/PID/stat), or -1.
func processTicks(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The command name may hold spaces; fields restart after its closing parenthesis.
	i := strings.LastIndexByte(string(data), ')')
	fields := strings.Fields(string(data)[i+1:])
	if len(fields) < 13 {
		return -1
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}
