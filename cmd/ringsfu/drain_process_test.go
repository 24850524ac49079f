//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSecondSignalExitsDuringTheDrain runs the real binary with a long
// drain delay: after the first SIGTERM /healthz says 503 while the process
// runs on; a second SIGTERM ends it at once with status 1.
func TestSecondSignalExitsDuringTheDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "ringsfu")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--log-format", "json", "--drain-delay", "60s", "--data-dir", t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["message"] == "listening" {
				addr <- line["addr"].(string)
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var a string
	select {
	case a = <-addr:
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start")
	}
	mustSignal(t, cmd, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + a + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 503 while draining (last: %v)", err)
		}
	}
	start := time.Now()
	mustSignal(t, cmd, syscall.SIGTERM)
	select {
	case err := <-exited:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 1 {
			t.Fatalf("exit: %v, want status 1", err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Fatalf("exited %v after the second signal", el)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second signal did not end the drain")
	}
}

func mustSignal(t *testing.T, cmd *exec.Cmd, s syscall.Signal) {
	t.Helper()
	if err := cmd.Process.Signal(s); err != nil {
		t.Fatal(err)
	}
}
