package views

import "strconv"

func itoa(n int) string { return strconv.Itoa(n) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortState(desc bool) string {
	if desc {
		return "descending"
	}
	return "ascending"
}

func sortArrow(desc bool) string {
	if desc {
		return "▼"
	}
	return "▲"
}

// Count writes n with thousands separators: 100,000.
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// nameSort is the Name column's aria-sort.
func nameSort(p SecretListPage) string {
	if p.ByUpdated {
		return "none"
	}
	return sortState(p.SortDesc)
}

// updatedSort is the Updated column's aria-sort: "descending" is newest
// first.
func updatedSort(p SecretListPage) string {
	if !p.ByUpdated {
		return "none"
	}
	return sortState(p.SortDesc)
}
