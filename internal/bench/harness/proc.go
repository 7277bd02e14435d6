package harness

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrSkipped is returned by Start for a receiver whose binary exited with
// status 3: the store mode it was asked for does not exist in this tree.
var ErrSkipped = errors.New("harness: receiver not available")

// exitUnavailable is the status recv-hookgen exits with for such a mode.
const exitUnavailable = 3

// Proc is one receiver process the harness started. Only this PID is ever
// signalled.
type Proc struct {
	Name string
	Port int
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	log  string
}

// PID returns the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

var listeningRe = regexp.MustCompile(`listening on http://127\.0\.0\.1:(\d+)`)

// Start runs bin with args, its stderr (and stdout) going to logDir/name.log.
// The port comes from the -portfile the harness appends to args, or, when
// portFromStdout is set, from the "listening on http://127.0.0.1:PORT" line
// the process prints (hookgen serve). It waits up to 20 s for the port.
func Start(name, bin string, args []string, logDir string, portFromStdout bool) (*Proc, error) {
	logPath := filepath.Join(logDir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	portFile := filepath.Join(logDir, name+".port")
	_ = os.Remove(portFile)
	if !portFromStdout {
		args = append(args, "-portfile", portFile)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logf
	portc := make(chan int, 1)
	if portFromStdout {
		pr, pw := io.Pipe()
		cmd.Stdout = pw
		go scanPort(pr, logf, portc)
	} else {
		cmd.Stdout = logf
	}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, err
	}
	p := &Proc{Name: name, cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() {
		p.err = cmd.Wait()
		if w, ok := cmd.Stdout.(*io.PipeWriter); ok {
			_ = w.Close()
		}
		_ = logf.Close()
		close(p.done)
	}()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case port := <-portc:
			p.Port = port
			return p, nil
		case <-p.done:
			tail := p.LogTail()
			var ee *exec.ExitError
			if errors.As(p.err, &ee) && ee.ExitCode() == exitUnavailable {
				return nil, fmt.Errorf("%w: %s", ErrSkipped, tail)
			}
			return nil, fmt.Errorf("harness: %s exited before listening (%v): %s", name, p.err, tail)
		case <-deadline:
			p.Stop()
			return nil, fmt.Errorf("harness: %s did not report a port within 20 s", name)
		case <-tick.C:
			if portFromStdout {
				continue
			}
			if raw, err := os.ReadFile(portFile); err == nil {
				if port, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
					p.Port = port
					return p, nil
				}
			}
		}
	}
}

func scanPort(r io.Reader, copyTo io.Writer, portc chan<- int) {
	sc := bufio.NewScanner(r)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		_, _ = fmt.Fprintln(copyTo, line)
		if m := listeningRe.FindStringSubmatch(line); m != nil && !sent {
			port, _ := strconv.Atoi(m[1])
			portc <- port
			sent = true
		}
	}
}

// Stop sends SIGTERM to the process, waits up to 5 s, then SIGKILLs that
// same PID. It is safe to call more than once.
func (p *Proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(5 * time.Second):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Alive reports whether the process is still running.
func (p *Proc) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// LogTail returns the last 2 KB of the process's log.
func (p *Proc) LogTail() string {
	raw, _ := os.ReadFile(p.log)
	if len(raw) > 2048 {
		raw = raw[len(raw)-2048:]
	}
	return strings.TrimSpace(string(raw))
}

// CPUTicks returns the process's user+system CPU time in clock ticks
// (fields 14 and 15 of /proc/PID/stat).
func CPUTicks(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces: fields are counted
	// after its closing parenthesis, where field 3 is the first.
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 {
		return 0, fmt.Errorf("harness: malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("harness: short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return ut + st, nil
}

// PeakRSS returns the process's peak resident set size (VmHWM) in bytes.
func PeakRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("harness: no VmHWM in /proc/%d/status", pid)
}

// ClockTicks is the kernel's USER_HZ, the unit of CPUTicks: 100 on every
// Linux architecture Go supports except alpha and ia64.
const ClockTicks = 100
