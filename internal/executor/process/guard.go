package process

// Killed is an attempt a guard killed: its ID, and the tag its worker
// last gave it (Until).
type Killed struct {
	ID  int64
	Tag string
}

// Report is what a guard tells its Reporter.
type Report struct {
	// Killed are attempts it killed, every process of theirs gone.
	Killed []Killed
	// Survivors are attempts some of whose processes would not die (in
	// uninterruptible sleep, say): their claims must not be given up.
	Survivors []int64
	// Ended says the worker itself is gone (its pipe closed): the last
	// report, made even when nothing was killed. Nothing of any attempt
	// the worker told of still runs then, Survivors aside.
	Ended bool
}

// Reporter is told, in a guard's own process, what the guard did; config
// is what StartGuard was given. It may take a while (the guard waits),
// but not forever.
type Reporter func(config string, r Report)
