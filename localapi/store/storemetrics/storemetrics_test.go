package storemetrics_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"teamsecrets/localapi/store"
	"teamsecrets/localapi/store/sqlite"
	"teamsecrets/localapi/store/storemetrics"
	"teamsecrets/localapi/store/storetest"
)

func histogram() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "store_seconds", Help: "test"}, []string{"method"})
}

func open(t *testing.T, h prometheus.ObserverVec) store.Backend {
	b, err := sqlite.Open(t.TempDir(), sqlite.Options{Create: true, Own: true})
	if err != nil {
		t.Fatal(err)
	}
	return storemetrics.Wrap(b, h)
}

// The timed backend is still a whole backend: it passes the suite.
func TestTimedBackendPassesTheSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend { return open(t, histogram()) })
}

// Methods names every method of store.Backend but Close, so a method
// added to the interface is timed (and named) too.
func TestMethodsCoverTheBackend(t *testing.T) {
	bt := reflect.TypeFor[store.Backend]()
	var want []string
	for i := range bt.NumMethod() {
		if n := bt.Method(i).Name; n != "Close" {
			want = append(want, n)
		}
	}
	got := slices.Clone(storemetrics.Methods)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("Methods = %v\nwant %v", got, want)
	}
}

// Each call is observed once under its method's name, and nothing else
// (no argument) becomes a label.
func TestCallsAreObservedByMethod(t *testing.T) {
	h := histogram()
	b := open(t, h)
	defer b.Close()
	ctx := t.Context()
	tn := store.Tenant{ID: uuid.NewString(), Slug: "canary-team-slug", Name: "Canary"}
	if err := b.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := b.PutSealed(ctx, nil, tn.ID, "CANARY_SECRET_NAME", "", []byte{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.SecretNames(ctx, tn.ID); err != nil {
		t.Fatal(err)
	}
	out, err := testutil.CollectAndFormat(h, expfmt.TypeTextPlain, "store_seconds")
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for method, want := range map[string]int{"CreateTenant": 1, "PutSealed": 3, "SecretNames": 1, "DeleteSecret": 0} {
		if line := fmt.Sprintf("store_seconds_count{method=%q} %d\n", method, want); !strings.Contains(text, line) {
			t.Errorf("no line %q in:\n%s", line, text)
		}
	}
	if n := testutil.CollectAndCount(h); n != len(storemetrics.Methods) {
		t.Errorf("%d series, want one per method (%d)", n, len(storemetrics.Methods))
	}
	for _, canary := range []string{"canary", "CANARY", tn.ID} {
		if strings.Contains(text, canary) {
			t.Errorf("the metrics hold %q", canary)
		}
	}
}
