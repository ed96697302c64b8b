//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package main

import "os"

// terminalSentToChild: without Unix terminals, every signal is forwarded.
func terminalSentToChild(os.Signal) bool { return false }
