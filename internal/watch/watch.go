// Package watch tells its owner when the files of a wrench directory may
// have changed, so that IsActive can answer from what it verified last
// instead of looking at the disk on every call.
//
// A Watcher is one fsnotify watcher (which reads events on a goroutine of
// its own) and one goroutine that reads them. It watches the
// wrench directory, for its entries, and the data directory above it, for
// the wrench directory appearing, going or being renamed. It never reads
// a file and decides nothing about trust: it only says which names to
// look at again (Changes.Names) or that everything must be looked at
// again (Changes.All), and its owner looks with its own checks.
//
// Events cannot show everything: a directory above the data directory
// renamed, an event queue that overflowed, a file system that sends none,
// a file written through a hard link elsewhere. So the watcher also asks
// for everything at every tick, and at each tick it places again any watch
// that was lost (a data directory removed and made again, a wrench
// directory that did not exist).
//
// A watch that cannot be placed on a directory that exists (no watch left
// for the user, no permission to read it) is not a lost event the tick
// makes up for in time: the owner is told (Start's error, Config.Failed)
// and looks at the disk itself instead.
package watch

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/juju/errors"
)

// Changes is what may have changed since the watcher last reported.
type Changes struct {
	// All is true when anything may have changed: the directory itself,
	// the data directory, a lost event, or a tick.
	All bool
	// Names are the entries of the wrench directory an event named, each
	// once, in the order first seen; only names Config.Wanted accepts.
	Names []string
}

// Config says what to watch and whom to tell.
type Config struct {
	// DataDir is the data directory, watched for Dir's entry.
	DataDir string
	// Dir is the wrench directory, a child of DataDir, watched for its
	// entries and itself.
	Dir string
	// Interval is how often everything is reported changed, whatever the
	// events said: the bound on how late a change events missed is seen.
	Interval time.Duration
	// Wanted says whether an entry of Dir is worth reporting; a writer's
	// temporary files and names that are not categories are not.
	Wanted func(name string) bool
	// Report is told what may have changed. It is called on the watcher's
	// goroutine, one call at a time; events that arrive while it runs are
	// reported together in the next call.
	Report func(Changes)
	// Failed, if not nil, is told when a watch cannot be placed on the
	// data directory or the wrench directory while it exists, after Start
	// returned: changes there are heard only at ticks from then on. It is
	// called on the watcher's goroutine, like Report, at each failure; it
	// must not call Close, which waits for that goroutine.
	Failed func(error)
}

// Watcher watches one wrench directory until Close.
type Watcher struct {
	cfg  Config
	fs   *fsnotify.Watcher
	stop chan struct{}
	done chan struct{}
	once sync.Once

	// What each watch was placed on, nil when it is not placed. Only the
	// watcher's goroutine uses them after Start returns.
	dataDirWatched, dirWatched os.FileInfo
}

// Start places the watches it can and starts the goroutine. A directory
// that does not exist yet is not an error: it is watched once it exists,
// at the latest by the next tick. The error is for a platform or a process
// that cannot watch at all (no inotify instance left, say), or a directory
// that exists and cannot be watched (no watch left for the user, no
// permission to read it): the owner then has to look at the disk itself.
//
// The caller looks at everything once itself after Start returns: every
// change after that is reported.
func Start(cfg Config) (*Watcher, error) {
	fs, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, errors.Trace(err)
	}
	w := &Watcher{cfg: cfg, fs: fs, stop: make(chan struct{}), done: make(chan struct{})}
	if err := w.rewatch(); err != nil {
		fs.Close()
		return nil, errors.Trace(err)
	}
	go w.run()
	return w, nil
}

// Close stops the goroutine and waits for it, then releases the fsnotify
// watcher. After Close returns Report is not called again. Close may be
// called more than once; it must not be called from Report.
func (w *Watcher) Close() {
	w.once.Do(func() {
		close(w.stop)
		<-w.done
		w.fs.Close()
	})
}

func (w *Watcher) run() {
	defer close(w.done)
	tick := time.NewTicker(w.cfg.Interval)
	defer tick.Stop()
	for {
		var ch Changes
		select {
		case <-w.stop:
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			w.add(&ch, ev)
		case _, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			// An overflowed queue, or any other failure to read events:
			// what was lost is unknown.
			ch.All = true
		case <-tick.C:
			w.placeAgain()
			ch.All = true
		}
		w.drain(&ch)
		if ch.All || len(ch.Names) > 0 {
			w.cfg.Report(ch)
		}
	}
}

// drain adds every event already waiting to ch, so that a burst (a
// writer makes three to five events per write) is looked at once.
func (w *Watcher) drain(ch *Changes) {
	for {
		select {
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			w.add(ch, ev)
		case _, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			ch.All = true
		default:
			return
		}
	}
}

// add adds what ev says may have changed to ch.
func (w *Watcher) add(ch *Changes, ev fsnotify.Event) {
	gone := ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)
	switch {
	case ev.Name == w.cfg.Dir:
		// The directory itself, heard through its own watch (its
		// attributes; or it moved or went, and fsnotify dropped the
		// watch) or through the data directory's (made, removed,
		// renamed, replaced).
		ch.All = true
		if gone {
			w.dirWatched = nil
		}
		w.placeAgain()
	case ev.Name == w.cfg.DataDir:
		ch.All = true
		if gone {
			w.dataDirWatched = nil
		}
		w.placeAgain()
	case filepath.Dir(ev.Name) == w.cfg.Dir:
		name := filepath.Base(ev.Name)
		if w.cfg.Wanted(name) && !slices.Contains(ch.Names, name) {
			ch.Names = append(ch.Names, name)
		}
	}
}

// placeAgain is rewatch once Start has returned: a failure goes to
// Config.Failed.
func (w *Watcher) placeAgain() {
	if err := w.rewatch(); err != nil && w.cfg.Failed != nil {
		w.cfg.Failed(err)
	}
}

// rewatch places each watch that is not placed on what its path names
// now: a directory made since, or made again in place of one removed or
// renamed away (whose watch, if any, followed the old one). It returns
// the first failure to watch a directory that exists.
func (w *Watcher) rewatch() error {
	var err error
	w.dataDirWatched, err = w.place(w.dataDirWatched, w.cfg.DataDir, os.Stat)
	// The wrench directory is never followed through a symbolic link:
	// its owner refuses one, and a watch on its target would report the
	// wrong directory.
	var dirErr error
	w.dirWatched, dirErr = w.place(w.dirWatched, w.cfg.Dir, os.Lstat)
	if err == nil {
		err = dirErr
	}
	return err
}

// place returns what path's watch is on after making it name what path
// names now, or nil when there is no directory there to watch. The error
// is for a directory there that cannot be watched; one that went again
// meanwhile is not an error (the event of its going, or the next tick,
// places the watch once there is one again).
func (w *Watcher) place(watched os.FileInfo, path string, stat func(string) (os.FileInfo, error)) (os.FileInfo, error) {
	fi, err := stat(path)
	if watched != nil && err == nil && os.SameFile(watched, fi) && slices.Contains(w.fs.WatchList(), path) {
		return watched, nil
	}
	// Whatever watch is left under path follows a directory that is no
	// longer there (or fsnotify dropped it already, and this fails).
	w.fs.Remove(path)
	if err != nil || !fi.IsDir() {
		return nil, nil
	}
	if err := w.fs.Add(path); err != nil {
		if now, statErr := stat(path); statErr != nil || !now.IsDir() || !os.SameFile(now, fi) {
			return nil, nil // gone or replaced meanwhile
		}
		return nil, errors.Annotate(err, path)
	}
	return fi, nil
}
