package loadgen

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// redisInfo is what one reading of a Redis server's INFO gave.
type redisInfo struct {
	at time.Time
	// commands counts executed commands by name (INFO commandstats
	// calls=, which counts each script call and every command inside it),
	// leaving out the INFO and AUTH commands of this reader.
	commands map[string]int64
	// cpu is used_cpu_user + used_cpu_sys (INFO cpu).
	cpu time.Duration
}

// total is the sum of commands.
func (i redisInfo) total() int64 {
	var n int64
	for _, v := range i.commands {
		n += v
	}
	return n
}

// readRedisInfo connects to the Redis at rawURL (redis:// or rediss://,
// with an optional password) and reads INFO commandstats and cpu.
// It speaks just enough RESP for that, so that the load generator does not
// depend on a Redis client library.
func readRedisInfo(ctx context.Context, rawURL string) (redisInfo, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return redisInfo{}, fmt.Errorf("loadgen: redis url: %w", err)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "6379")
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	var conn net.Conn
	if u.Scheme == "rediss" {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}}).DialContext(ctx, "tcp", host)
	} else {
		conn, err = d.DialContext(ctx, "tcp", host)
	}
	if err != nil {
		return redisInfo{}, fmt.Errorf("loadgen: redis: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	}
	r := bufio.NewReader(conn)
	if pw, ok := u.User.Password(); ok {
		args := []string{"AUTH", pw}
		if name := u.User.Username(); name != "" {
			args = []string{"AUTH", name, pw}
		}
		if _, err := respCall(conn, r, args...); err != nil {
			return redisInfo{}, err
		}
	}
	info := redisInfo{commands: map[string]int64{}}
	for _, section := range []string{"commandstats", "cpu"} {
		text, err := respCall(conn, r, "INFO", section)
		if err != nil {
			return redisInfo{}, err
		}
		parseRedisInfo(text, &info)
	}
	info.at = time.Now()
	return info, nil
}

// parseRedisInfo adds the fields of one INFO reply to info.
func parseRedisInfo(text string, info *redisInfo) {
	var cpuSecs float64
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(key, "cmdstat_"):
			name := strings.TrimPrefix(key, "cmdstat_")
			if name == "info" || name == "auth" {
				continue
			}
			calls, _, _ := strings.Cut(strings.TrimPrefix(val, "calls="), ",")
			if n, err := strconv.ParseInt(calls, 10, 64); err == nil {
				info.commands[name] = n
			}
		case key == "used_cpu_user" || key == "used_cpu_sys":
			v, _ := strconv.ParseFloat(val, 64)
			cpuSecs += v
		}
	}
	if cpuSecs > 0 {
		info.cpu = time.Duration(cpuSecs * float64(time.Second))
	}
}

// respCall sends one command and returns its reply as text (a bulk or
// simple string); an error reply is an error.
func respCall(w io.Writer, r *bufio.Reader, args ...string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return "", fmt.Errorf("loadgen: redis write: %w", err)
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("loadgen: redis read: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("loadgen: redis: empty reply")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("loadgen: redis: %s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("loadgen: redis: bad bulk length %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("loadgen: redis read: %w", err)
		}
		return string(buf[:n]), nil
	case '=': // RESP3 verbatim string: "txt:" prefix
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 4 {
			return "", fmt.Errorf("loadgen: redis: bad verbatim length %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("loadgen: redis read: %w", err)
		}
		return string(buf[4:n]), nil
	}
	return "", fmt.Errorf("loadgen: redis: unexpected reply %q", line)
}
