// Command loopclient is the closed loop's load generator (bench/http_figures.py closed_case_loop): `clients`
// workers, each taking a report through the whole loop, 受理 → 立案 → 交办 → 佐证材料 → 申请销号 → 销号, and
// starting the next as soon as the last answered, for `seconds`. A Go program, not a Python loop, because it runs on
// the cores it measures: the Python client cost 9-16 ms of CPU per loop, a quarter of what it measured.
//
// The run is given on standard input as JSON (bench/http_figures.py loop_run writes it: the bodies, the tokens and the
// addresses, so that bench/samples.py stays the one place the requests are made); it prints one JSON document: every
// finished loop with its steps' times, the failures, the seconds and its own CPU.
//
//	go build -o .cache/go/bin/loopclient bench/loopclient/main.go   (make bench and make test do)
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type evidence struct {
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	Content     []byte `json:"content"` // base64 in the JSON
}

type run struct {
	Clients            int               `json:"clients"`
	Seconds            float64           `json:"seconds"`
	IntakeURL          string            `json:"intake_url"`
	CasesURL           string            `json:"cases_url"`
	Tokens             map[string]string `json:"tokens"` // operator, office, unit, reader
	Reports            []json.RawMessage `json:"reports"`
	Assignment         json.RawMessage   `json:"assignment"`
	ClosureRequest     json.RawMessage   `json:"closure_request"`
	Verification       json.RawMessage   `json:"verification"`
	Evidence           evidence          `json:"evidence"`
	CaseWaitSeconds    int               `json:"case_wait_seconds"`
	CaseTimeoutSeconds float64           `json:"case_timeout_seconds"`
}

// One finished loop: its case, when it started (seconds after the run's start), each step's milliseconds in the
// order of bench/http_figures.py LOOP_STEPS, and the wall clock of its report's 202 and of its case's first 200.
type loop struct {
	CaseID       string    `json:"case_id"`
	Started      float64   `json:"started"`
	StepsMs      []float64 `json:"steps_ms"`
	AcceptedWall float64   `json:"accepted_wall"`
	VisibleWall  float64   `json:"visible_wall"`
}

type result struct {
	Loops         []loop   `json:"loops"`
	Failures      int      `json:"failures"`
	FirstFailures []string `json:"first_failures"`
	Seconds       float64  `json:"seconds"`
	CPUSeconds    float64  `json:"cpu_seconds"`
	Exhausted     bool     `json:"exhausted"` // every report given was sent before the time was up
}

type client struct {
	run      *run
	http     *http.Client
	evidence []byte
	boundary string
}

func wall(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func (c *client) send(method, url, token string, body []byte, header map[string]string) (int, []byte, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, answer, err
}

func refused(step string, status int, body []byte) error {
	if len(body) > 200 {
		body = body[:200]
	}
	return fmt.Errorf("%s: %d %s", step, status, body)
}

func (c *client) command(caseID, path string, body []byte, version int, token string) error {
	url := fmt.Sprintf("%s/v1/cases/%s/%s", c.run.CasesURL, caseID, path)
	header := map[string]string{"Content-Type": "application/json", "If-Match": fmt.Sprint(version)}
	status, answer, err := c.send("POST", url, token, body, header)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if status != 200 {
		return refused(path, status, answer)
	}
	return nil
}

// one takes report n through the loop; the marks are taken as bench/http_figures.py took them.
func (c *client) one(n int, start time.Time) (loop, error) {
	tokens := c.run.Tokens
	marks := []time.Time{time.Now()}
	status, answer, err := c.send("POST", c.run.IntakeURL+"/v1/reports", tokens["operator"], c.run.Reports[n],
		map[string]string{"Content-Type": "application/json"})
	if err != nil {
		return loop{}, fmt.Errorf("report: %w", err)
	}
	if status != 202 {
		return loop{}, refused("report", status, answer)
	}
	var accepted struct {
		IssueID string `json:"issue_id"`
	}
	if err := json.Unmarshal(answer, &accepted); err != nil || accepted.IssueID == "" {
		return loop{}, fmt.Errorf("report: no issue_id in %s", answer)
	}
	caseID := accepted.IssueID
	marks = append(marks, time.Now())
	acceptedWall := wall(time.Now())

	// The case, which cases holds back until it is opened (?wait=); 404 after the wait: asked again.
	caseURL := fmt.Sprintf("%s/v1/cases/%s?wait=%d", c.run.CasesURL, caseID, c.run.CaseWaitSeconds)
	giveUp := time.Now().Add(time.Duration(c.run.CaseTimeoutSeconds * float64(time.Second)))
	for {
		status, answer, err = c.send("GET", caseURL, tokens["reader"], nil, nil)
		if err == nil && status == 200 {
			break
		}
		if time.Now().After(giveUp) {
			return loop{}, fmt.Errorf("case %s not opened within %gs (last: %d %s %v)", caseID,
				c.run.CaseTimeoutSeconds, status, answer, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	marks = append(marks, time.Now())
	visibleWall := wall(time.Now())

	if err := c.command(caseID, "assign", c.run.Assignment, 1, tokens["office"]); err != nil {
		return loop{}, err
	}
	marks = append(marks, time.Now())
	// The unit's 佐证材料 before its closure request names it (not a command: the version stays).
	status, answer, err = c.send("POST", fmt.Sprintf("%s/v1/cases/%s/evidence", c.run.CasesURL, caseID),
		tokens["unit"], c.evidence, map[string]string{"Content-Type": "multipart/form-data; boundary=" + c.boundary})
	if err != nil {
		return loop{}, fmt.Errorf("evidence: %w", err)
	}
	if status != 200 && status != 201 {
		return loop{}, refused("evidence", status, answer)
	}
	marks = append(marks, time.Now())
	if err := c.command(caseID, "request-closure", c.run.ClosureRequest, 2, tokens["unit"]); err != nil {
		return loop{}, err
	}
	marks = append(marks, time.Now())
	if err := c.command(caseID, "verify", c.run.Verification, 3, tokens["office"]); err != nil {
		return loop{}, err
	}
	marks = append(marks, time.Now())

	steps := make([]float64, 0, len(marks)-1)
	for i := 1; i < len(marks); i++ {
		steps = append(steps, float64(marks[i].Sub(marks[i-1]).Microseconds())/1000)
	}
	return loop{caseID, marks[0].Sub(start).Seconds(), steps, acceptedWall, visibleWall}, nil
}

func multipartBody(e evidence) ([]byte, string, error) {
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	part, err := form.CreatePart(textproto.MIMEHeader{
		"Content-Disposition": {fmt.Sprintf(`form-data; name="file"; filename=%q`, e.FileName)},
		"Content-Type":        {e.ContentType},
	})
	if err == nil {
		_, err = part.Write(e.Content)
	}
	if err == nil {
		err = form.Close()
	}
	return body.Bytes(), form.Boundary(), err
}

func cpuSeconds() float64 {
	var usage syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &usage) != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano()).Seconds()
}

func main() {
	var r run
	if err := json.NewDecoder(io.LimitReader(os.Stdin, 256<<20)).Decode(&r); err != nil {
		fmt.Fprintln(os.Stderr, "loopclient: the run on standard input:", err)
		os.Exit(2)
	}
	evidenceBody, boundary, err := multipartBody(r.Evidence)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loopclient: evidence:", err)
		os.Exit(2)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: r.Clients, DisableCompression: true}
	c := &client{&r, &http.Client{Transport: transport, Timeout: 30 * time.Second}, evidenceBody, boundary}

	start := time.Now()
	stopAt := start.Add(time.Duration(r.Seconds * float64(time.Second)))
	var next atomic.Int64
	var mu sync.Mutex
	out := result{Loops: []loop{}, FirstFailures: []string{}}
	var workers sync.WaitGroup
	for w := 0; w < r.Clients; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for time.Now().Before(stopAt) {
				n := int(next.Add(1) - 1)
				if n >= len(r.Reports) {
					mu.Lock()
					out.Exhausted = true
					mu.Unlock()
					return
				}
				done, err := c.one(n, start)
				mu.Lock()
				if err != nil {
					out.Failures++
					if len(out.FirstFailures) < 3 {
						out.FirstFailures = append(out.FirstFailures, err.Error())
					}
				} else {
					out.Loops = append(out.Loops, done)
				}
				mu.Unlock()
			}
		}()
	}
	workers.Wait()
	out.Seconds = time.Since(start).Seconds()
	out.CPUSeconds = cpuSeconds()
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "loopclient:", err)
		os.Exit(1)
	}
}
