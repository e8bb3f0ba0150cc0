package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// AddressFile is where, relative to the project folder, a running server
// records how to reach it, so that every command run in the project finds
// it by itself instead of opening the store the server holds.
const AddressFile = ".gantry/server.json"

// Address is what AddressFile holds: where the server listens, which
// process it is, and which store it holds (its id and location, never its
// credentials).
type Address struct {
	URL     string    `json:"url"`
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	StoreID string    `json:"store_id,omitempty"`
	Store   string    `json:"store,omitempty"` // the store's location, as the project's store-id file names it
	Started time.Time `json:"started"`
}

// ListenURL is the http:// URL a client on this machine reaches a listener
// at: an unspecified address (0.0.0.0, ::) is reached on loopback.
func ListenURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// WriteAddress records a in dir's AddressFile, replacing what is there.
func WriteAddress(dir string, a Address) error {
	path := filepath.Join(dir, AddressFile)
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", AddressFile, err)
	}
	tmp := path + "." + strconv.Itoa(os.Getpid()) + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", AddressFile, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", AddressFile, err)
	}
	return nil
}

// RemoveAddress removes dir's AddressFile when it still names process
// pid: a server that stops takes its address away, and never another's.
func RemoveAddress(dir string, pid int) {
	a, err := ReadAddress(dir)
	if err != nil || a.PID != pid {
		return
	}
	_ = os.Remove(filepath.Join(dir, AddressFile))
}

// ErrNoAddress is ReadAddress finding no AddressFile: no server recorded
// itself in the project.
var ErrNoAddress = errors.New("no " + AddressFile)

// ReadAddress reads dir's AddressFile.
func ReadAddress(dir string) (Address, error) {
	var a Address
	data, err := os.ReadFile(filepath.Join(dir, AddressFile))
	if errors.Is(err, os.ErrNotExist) {
		return a, ErrNoAddress
	}
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("%s: %w", AddressFile, err)
	}
	if a.URL == "" {
		return a, fmt.Errorf("%s: no url", AddressFile)
	}
	return a, nil
}

// Dead reports whether a names a process on this machine that no longer
// runs: its file is stale. A server on another host (a shared folder) is
// not known dead.
func (a Address) Dead() bool {
	host, _ := os.Hostname()
	if a.Host != host || a.PID <= 0 {
		return false
	}
	err := syscall.Kill(a.PID, 0)
	return errors.Is(err, syscall.ESRCH)
}
