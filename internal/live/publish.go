package live

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/juju/loggo/v2"
)

// logger is the project's one logger.
var logger = loggo.GetLogger("wrench")

// Timing of the publisher. A change is written at once unless a write
// was made less than minGap before, so a category that fires in a loop
// costs at most 1/minGap writes a second and a change still shows well
// within 50 ms; what changes without waking the publisher (calls
// evaluated) is looked at every lazyInterval and written if it changed,
// or if the file written is gone.
var (
	minGap       = 10 * time.Millisecond
	lazyInterval = time.Second
)

// Collector gives the state of every category the process reads, and
// whether the process is in exact mode. It is called on the publisher's
// goroutine, never on the hot path, and must clear the marks that woke
// the publisher before it reads what they mark, so no change is missed.
type Collector func() (categories []Category, exact bool)

// Publisher writes a process's state for one wrench directory, from a
// goroutine of its own, until Stop.
type Publisher struct {
	wrenchDir string // the wrench directory
	sub, name string // the state's directory in it, and file name
	changed   <-chan struct{}
	collect   Collector
	self      Process

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}

	warned bool // a failure to write was logged at WARNING

	// written is the file this publisher wrote last, so that Stop removes
	// only that: after SetDataDir to the same directory, the next data
	// directory's publisher may have written its own already.
	written os.FileInfo
}

// Publish starts publishing this process's state in wrenchDir: at once,
// then whenever changed holds a token, and every second when the
// collected state differs from what was written. seed is the process's
// chance seed.
func Publish(wrenchDir string, seed uint64, changed <-chan struct{}, collect Collector) *Publisher {
	self := Self()
	self.Seed = strconv.FormatUint(seed, 10)
	p := &Publisher{
		wrenchDir: wrenchDir,
		sub:       DirName(),
		name:      strconv.Itoa(self.PID),
		changed:   changed,
		collect:   collect,
		self:      self,
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	go p.run()
	return p
}

// Stop ends the publishing and removes the state, and returns once both
// are done: nothing is written after it returns. It may be called more
// than once.
func (p *Publisher) Stop() {
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
}

// Path is where the state is written.
func (p *Publisher) Path() string { return filepath.Join(p.wrenchDir, p.sub, p.name) }

func (p *Publisher) run() {
	defer close(p.done)
	defer p.remove()
	lazy := time.NewTicker(lazyInterval)
	defer lazy.Stop()
	var (
		last      []Category
		lastExact bool
		written   bool
		lastWrite time.Time
	)
	for first := true; ; first = false {
		lazyTick := false
		if !first {
			select {
			case <-p.stop:
				return
			case <-lazy.C:
				lazyTick = true
			case <-p.changed:
				if !p.pause(minGap - time.Since(lastWrite)) {
					return
				}
			}
		}
		cats, exact := p.collect()
		if written && exact == lastExact && reflect.DeepEqual(cats, last) && !(lazyTick && p.lost()) {
			continue
		}
		state := p.self
		state.Exact = exact
		state.Categories = cats
		state.Published = time.Now().UTC()
		if err := p.write(&state); err != nil {
			p.failed(err)
			continue
		}
		p.warned = false
		last, lastExact, written, lastWrite = cats, exact, true, time.Now()
		p.written, _ = os.Lstat(p.Path())
	}
}

// lost reports whether the state this publisher wrote is no longer at
// its path (an operator removed it, say): then an unchanged state is
// written again, on the lazy tick, rather than never while nothing
// changes.
func (p *Publisher) lost() bool {
	now, err := os.Lstat(p.Path())
	return err != nil || p.written == nil || !os.SameFile(now, p.written)
}

// remove removes the state this publisher wrote, if it is still there.
func (p *Publisher) remove() {
	now, err := os.Lstat(p.Path())
	if err != nil || p.written == nil || !os.SameFile(now, p.written) {
		return // not written, gone, or another publisher's since
	}
	if err := removeState(p.wrenchDir, p.sub, p.name); err != nil {
		logger.Debugf("cannot remove live state %s: %v", p.Path(), err)
	}
}

// pause waits d, unless Stop comes first: then it reports false.
func (p *Publisher) pause(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.stop:
		return false
	case <-t.C:
		return true
	}
}

// Hold is held for reading while a publisher writes a state, so a test
// that counts a process's open descriptors can keep every publisher
// between two writes by holding it for writing.
var Hold sync.RWMutex

func (p *Publisher) write(state *Process) error {
	data, err := Encode(state)
	if err != nil {
		return err
	}
	Hold.RLock()
	defer Hold.RUnlock()
	return writeState(p.wrenchDir, p.sub, p.name, data)
}

// failed logs a failure to write the state: at WARNING the first time
// after a success (with what an operator does about it), then at DEBUG.
func (p *Publisher) failed(err error) {
	if errors.Is(err, fs.ErrNotExist) {
		// No wrench directory (removed while the process ran): nowhere
		// to publish, and nothing served to show.
		logger.Debugf("cannot write live state %s: %v", p.Path(), err)
		return
	}
	if p.warned {
		logger.Debugf("cannot write live state %s: %v", p.Path(), err)
		return
	}
	p.warned = true
	var untrusted *untrustedWrenchDir
	if errors.As(err, &untrusted) {
		// IsActive refuses it too, and logs why: no place made for the
		// state helps.
		logger.Warningf("cannot write live state %s: %v; wrench status and wait cannot see this process until it can", p.Path(), err)
		return
	}
	logger.Warningf("cannot write live state %s: %v; wrench status and wait cannot see this process until it can (%s)", p.Path(), err, remedy(filepath.Join(p.wrenchDir, p.sub)))
}

// untrustedWrenchDir is the error of a wrench directory this process
// would not read rules from, so writes no state in.
type untrustedWrenchDir struct{ msg string }

func (e *untrustedWrenchDir) Error() string { return e.msg }
