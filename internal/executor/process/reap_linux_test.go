package process

import (
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
)

func TestReap(t *testing.T) {
	t.Parallel()
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := func(t *testing.T, attemptID string) *exec.Cmd {
		t.Helper()
		// A leader with a child, both in their own group, as an orphaned
		// attempt would be.
		cmd := exec.Command("sh", "-c", "sleep 1000 & wait")
		cmd.Env = append(cmd.Environ(), "GANTRY_ATTEMPT_ID="+attemptID)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
		// Wait until the child is in the group.
		for deadline := time.Now().Add(5 * time.Second); len(groupMembers(cmd.Process.Pid, "GANTRY_ATTEMPT_ID="+attemptID)) < 2; {
			if time.Now().After(deadline) {
				t.Fatal("child never appeared")
			}
			time.Sleep(5 * time.Millisecond)
		}
		return cmd
	}

	t.Run("kills the attempt's whole group", func(t *testing.T) {
		t.Parallel()
		cmd := start(t, "4242")
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }() // reap the leader, as init would
		found, err := e.Reap(context.Background(), executor.Handle{PID: cmd.Process.Pid, Marks: []string{"GANTRY_ATTEMPT_ID=4242"}})
		if err != nil || !found {
			t.Fatalf("Reap = %v, %v; want found", found, err)
		}
		<-done
		if m := groupMembers(cmd.Process.Pid, "GANTRY_ATTEMPT_ID=4242"); len(m) != 0 {
			t.Errorf("left alive: %v", m)
		}
	})

	t.Run("leaves a process of another attempt alone", func(t *testing.T) {
		t.Parallel()
		cmd := start(t, "77")
		found, err := e.Reap(context.Background(), executor.Handle{PID: cmd.Process.Pid, Marks: []string{"GANTRY_ATTEMPT_ID=78"}})
		if err != nil || found {
			t.Fatalf("Reap = %v, %v; want nothing found", found, err)
		}
		if !running(cmd.Process.Pid) {
			t.Error("an unrelated process was killed")
		}
	})

	t.Run("finds the attempt without its pid", func(t *testing.T) {
		t.Parallel()
		// Gantry died between starting the process and recording its pid.
		cmd := start(t, "5151")
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		found, err := e.Reap(context.Background(), executor.Handle{PID: 0, Marks: []string{"GANTRY_ATTEMPT_ID=5151"}})
		if err != nil || !found {
			t.Fatalf("Reap(pid 0) = %v, %v; want found", found, err)
		}
		<-done
	})

	t.Run("nothing left", func(t *testing.T) {
		t.Parallel()
		if found, err := e.Reap(context.Background(), executor.Handle{}); found || err != nil {
			t.Errorf("Reap(0) = %v, %v", found, err)
		}
	})
}
