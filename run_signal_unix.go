//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package main

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// terminalSentToChild reports whether a terminal already sent s to the
// child: Ctrl-C (SIGINT) and Ctrl-\ (SIGQUIT) go to the terminal's whole
// foreground process group, which holds the child too when run is in it.
// Forwarding those would deliver them twice.
func terminalSentToChild(s os.Signal) bool {
	if s != syscall.SIGINT && s != syscall.SIGQUIT {
		return false
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false // no controlling terminal
	}
	defer tty.Close()
	fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && fg == unix.Getpgrp()
}
