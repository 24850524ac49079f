package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary is the redis-server executable looked up in PATH.
const Binary = "redis-server"

// ErrNoBinary means redis-server is not installed.
var ErrNoBinary = errors.New("redistest: redis-server not found in PATH (apt-get install -y --no-install-recommends redis-server, or run `make test-go`)")

// startTimeout bounds how long a launched server may take to answer PING.
const startTimeout = 10 * time.Second

// Server is one private redis-server process on 127.0.0.1.
type Server struct {
	port int
	dir  string
	own  bool // dir was created by Launch and is removed by Close

	mu     sync.Mutex
	cmd    *exec.Cmd     // guarded by mu; nil while stopped
	exited chan struct{} // guarded by mu; closed when cmd's process exits
	log    *os.File      // guarded by mu
}

// Launch starts a redis-server on a free loopback port. It returns
// ErrNoBinary when the binary is missing.
func Launch() (*Server, error) {
	if _, err := exec.LookPath(Binary); err != nil {
		return nil, ErrNoBinary
	}
	dir, err := os.MkdirTemp("", "ringsfu-redis-")
	if err != nil {
		return nil, fmt.Errorf("redistest: temp dir: %w", err)
	}
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			last = err
			continue
		}
		s := &Server{port: port, dir: dir, own: true}
		if err := s.start(); err != nil {
			last = err
			continue
		}
		return s, nil
	}
	_ = os.RemoveAll(dir)
	return nil, fmt.Errorf("redistest: could not start redis-server: %w", last)
}

// Start launches a server for t and stops it when t ends. A missing binary
// skips t, or fails it when CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Launch()
	if errors.Is(err, ErrNoBinary) {
		Missing(t)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Missing skips t because redis-server is not installed, or fails it when
// running in CI (CI=true), where the binary must be present.
func Missing(t testing.TB) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v; CI=true, so this is a failure, not a skip", ErrNoBinary)
	}
	t.Skipf("skipping: %v", ErrNoBinary)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("redistest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr returns host:port of the server.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL returns the server's redis:// URL for database db.
func (s *Server) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr(), db) }

// start launches the process and waits for PING to answer.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	logf, err := os.OpenFile(s.dir+"/redis.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("redistest: log file: %w", err)
	}
	cmd := exec.Command(Binary,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--protected-mode", "yes", "--daemonize", "no")
	cmd.Stdout, cmd.Stderr = logf, logf
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("redistest: start %s: %w", Binary, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(startTimeout)
	for {
		if err := ping(s.Addr()); err == nil {
			break
		} else if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			logf.Close()
			return fmt.Errorf("redistest: server on %s did not answer PING: %w (log %s)", s.Addr(), err, s.dir+"/redis.log")
		}
		select {
		case <-exited:
			logf.Close()
			b, _ := os.ReadFile(s.dir + "/redis.log")
			return fmt.Errorf("redistest: redis-server exited at start: %s", strings.TrimSpace(lastLines(string(b), 3)))
		case <-time.After(10 * time.Millisecond):
		}
	}
	s.cmd, s.exited, s.log = cmd, exited, logf
	return nil
}

// Stop kills the server abruptly (SIGKILL, as a crash would) and waits for
// it to exit. Its data is lost: the server runs without persistence.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused process must be able to die
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.log.Close()
	s.cmd, s.exited, s.log = nil, nil, nil
}

// Restart starts the server again on the same port after Stop. It fails
// the test-visible way (error) if the port was taken meanwhile.
func (s *Server) Restart() error { return s.start() }

// Pause stops the process with SIGSTOP: connections stay open but nothing
// answers, as with a hung server or a partition.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Continue resumes a paused process with SIGCONT.
func (s *Server) Continue() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errors.New("redistest: server is stopped")
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("redistest: signal %v: %w", sig, err)
	}
	return nil
}

// Close stops the server and removes its directory. It is idempotent.
func (s *Server) Close() {
	s.Stop()
	if s.own {
		_ = os.RemoveAll(s.dir)
	}
}

// ping sends one RESP PING and expects +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("unexpected PING reply %q", line)
	}
	return nil
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
