// Package browsertest drives Debian's Chromium (chromedp) through the UI's
// pages, with JavaScript and without, against the real UI and local API
// (handlers/uitest). Without Chromium the suite does not run and says why;
// with TEAMSECRETS_E2E=require (CI sets it) it fails instead. -short skips
// it.
package browsertest

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// chromium is the browser the tests drive.
var chromium string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		notRun("browser tests skipped (-short)", false)
	}
	path, err := findChromium()
	if err != nil {
		if os.Getenv("TEAMSECRETS_E2E") == "require" {
			fmt.Fprintf(os.Stderr, "FAIL: %v (TEAMSECRETS_E2E=require)\n", err)
			os.Exit(1)
		}
		notRun(fmt.Sprintf("browser tests skipped: %v; with TEAMSECRETS_E2E=require they fail instead", err), true)
	}
	chromium = path
	os.Exit(m.Run())
}

// findChromium is TEAMSECRETS_CHROMIUM, or /usr/bin/chromium, or chromium
// on the PATH.
func findChromium() (string, error) {
	path := os.Getenv("TEAMSECRETS_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	_, err := os.Stat(path)
	if err == nil {
		return path, nil
	}
	if p, lerr := exec.LookPath("chromium"); lerr == nil {
		return p, nil
	}
	return "", fmt.Errorf("no Chromium at %s (apt-get install -y chromium, or set TEAMSECRETS_CHROMIUM): %v", path, err)
}

// notRun ends the test binary without running the suite, saying why. go
// test shows a passing package's output only with -v, so the summary line
// gets go test's own "[no tests to run]" mark, and, when loud, the reason
// goes to the terminal too, if there is one.
func notRun(why string, loud bool) {
	fmt.Println(why)
	if loud && !testing.Verbose() {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			fmt.Fprintf(tty, "teamsecrets/handlers/browsertest: %s\n", why)
			tty.Close()
		}
	}
	fmt.Println("testing: warning: no tests to run")
	os.Exit(0)
}
