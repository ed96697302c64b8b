package handlers_test

import (
	"os"
	"path/filepath"
	"regexp"
)

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

func globFiles(pattern string) ([]string, error) { return filepath.Glob(pattern) }

func regexpFind(s, pattern string) string { return regexp.MustCompile(pattern).FindString(s) }
