package pgtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ErrNoBinary means PostgreSQL's server binaries are not installed.
var ErrNoBinary = errors.New("pgtest: PostgreSQL not found (apt-get install -y postgresql, or run `make deps-postgres`)")

// startTimeout bounds how long a launched server may take to accept
// connections.
const startTimeout = 30 * time.Second

// Server is one private PostgreSQL server on 127.0.0.1.
type Server struct {
	bin  string // directory holding initdb and postgres
	dir  string // temp dir: data/, socket, log
	port int
	cred *syscall.Credential // nil when not running as root

	mu     sync.Mutex
	cmd    *exec.Cmd     // guarded by mu; nil while stopped
	exited chan struct{} // guarded by mu
}

// binDir finds the directory of initdb and postgres: Debian's newest
// /usr/lib/postgresql/N/bin, else PATH.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", ErrNoBinary
}

// version extracts N from /usr/lib/postgresql/N/bin.
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// credential returns the user to run as: nil when not root, else postgres
// or nobody.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("pgtest: running as root and found neither a postgres nor a nobody user")
}

// Launch creates a cluster and starts a server on a free loopback port.
func Launch() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	parent := ""
	if cred != nil {
		// The server's user must reach the directory: a TMPDIR under
		// root's home would not do, /tmp does.
		if st, err := os.Stat("/tmp"); err == nil && st.IsDir() {
			parent = "/tmp"
		}
	}
	dir, err := os.MkdirTemp(parent, "ringsfu-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: temp dir: %w", err)
	}
	s := &Server{bin: bin, dir: dir, cred: cred}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: chown: %w", err)
		}
	}
	if err := s.initdb(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		if s.port, last = freePort(); last != nil {
			continue
		}
		if last = s.Start(); last == nil {
			return s, nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, fmt.Errorf("pgtest: could not start postgres: %w", last)
}

// Start launches a server for t and removes it when t ends. Missing
// binaries skip t, or fail it when CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Launch()
	if errors.Is(err, ErrNoBinary) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v; CI=true, so this is a failure, not a skip", err)
		}
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// command builds a command that runs as the server's user.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	attr := &syscall.SysProcAttr{Credential: s.cred}
	setDeathSignal(attr)
	cmd.SysProcAttr = attr
	return cmd
}

// initdb creates the cluster with trust authentication for user ringsfu.
func (s *Server) initdb() error {
	cmd := s.command("initdb", "-D", filepath.Join(s.dir, "data"), "-A", "trust", "-U", "ringsfu", "-E", "UTF8", "--no-sync")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: initdb: %w: %s", err, out)
	}
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL returns a connection URL for database postgres as user ringsfu.
func (s *Server) URL() string { return s.URLFor("postgres") }

// URLFor returns a connection URL for database db as user ringsfu.
func (s *Server) URLFor(db string) string {
	return fmt.Sprintf("postgres://ringsfu@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// Start (re)starts the postmaster on the server's port and waits until it
// accepts connections. It is a no-op while running.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	logPath := filepath.Join(s.dir, "log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: log: %w", err)
	}
	defer logf.Close()
	cmd := s.command("postgres", "-D", filepath.Join(s.dir, "data"), "-p", strconv.Itoa(s.port),
		"-k", s.dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=50")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(startTimeout)
	for {
		b, _ := os.ReadFile(logPath)
		if strings.Contains(string(b), "ready to accept connections") {
			s.cmd, s.exited = cmd, exited
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("pgtest: postgres exited at start: %s", b)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("pgtest: postgres not ready after %v: %s", startTimeout, b)
		}
	}
}

// Stop shuts the server down fast (SIGINT: connections are cut) and waits
// for it to exit. The cluster stays for a later Start.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd, s.exited = nil, nil
}

// Close stops the server and removes its directory.
func (s *Server) Close() {
	s.Stop()
	_ = os.RemoveAll(s.dir)
}
