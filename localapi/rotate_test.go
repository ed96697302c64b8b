package localapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"teamsecrets/localapi"
)

// keyLines is master.key's keys, one a line.
func keyLines(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, localapi.MasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

func decodeKey(t *testing.T, b64 string) []byte {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(k) != 32 {
		t.Fatalf("not a key: %v", err)
	}
	return k
}

// onlyKey opens dir with key alone and checks that every value opens with
// it (so none is sealed under any other key); it returns every value, by
// "team/NAME", and closes the store.
func onlyKey(t *testing.T, dir string, key []byte) map[string]string {
	t.Helper()
	st, err := localapi.OpenStore(dir, key)
	if err != nil {
		t.Fatalf("open with the key alone: %v", err)
	}
	defer st.Close()
	if _, err := st.Check(t.Context()); err != nil {
		t.Fatalf("with the key alone: %v", err)
	}
	return values(t, st)
}

func values(t *testing.T, st *localapi.Store) map[string]string {
	t.Helper()
	teams, err := st.Tenants(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{}
	for _, tn := range teams {
		names, err := st.SecretNames(t.Context(), tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			v, err := st.SecretValue(t.Context(), tn.ID, n)
			if err != nil {
				t.Fatalf("%s/%s: %v", tn.Slug, n, err)
			}
			all[tn.Slug+"/"+n] = string(v)
		}
	}
	return all
}

func defaultTeam(t *testing.T, st *localapi.Store) string {
	t.Helper()
	team, err := st.TenantBySlug(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	return team.ID
}

func rotationEvents(t *testing.T, st *localapi.Store) []localapi.AuditEvent {
	t.Helper()
	events, err := st.AuditEvents(t.Context(), "", localapi.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var out []localapi.AuditEvent
	for _, e := range events {
		if e.Action == "master_key.rotated" {
			out = append(out, e)
		}
	}
	return out
}

// With master.key: a new key, every value resealed under it, the file
// holding it alone (0600), the old key opening nothing, and one audit event
// without key material.
func TestRotateMasterKeyFileMovesEveryValueToANewKeyKeptAlone(t *testing.T) {
	dir := serverStore(t)
	old := keyLines(t, dir)
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	before := values(t, st)
	r, err := st.RotateMasterKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if r.Values != 2 || r.Source != filepath.Join(dir, localapi.MasterKeyFile) || r.Warning != "" {
		t.Fatalf("report %+v", r)
	}
	// The store that rotated goes on working under the new key.
	team := defaultTeam(t, st)
	if err := st.PutSecret(t.Context(), team, "C", json.RawMessage(`"c"`)); err != nil {
		t.Fatal(err)
	}
	events := rotationEvents(t, st)
	st.Close()

	now := keyLines(t, dir)
	if len(now) != 1 || now[0] == old[0] {
		t.Fatalf("master.key holds %d keys after the rotation (new one: %v), want the new key alone", len(now), now[0] != old[0])
	}
	if info, _ := os.Stat(filepath.Join(dir, localapi.MasterKeyFile)); info.Mode().Perm() != 0o600 {
		t.Fatalf("master.key mode %o", info.Mode().Perm())
	}
	got := onlyKey(t, dir, decodeKey(t, now[0]))
	before["default/C"] = `"c"`
	if !maps.Equal(got, before) {
		t.Fatalf("values after the rotation %v, want %v", got, before)
	}
	if _, err := localapi.OpenStore(dir, decodeKey(t, old[0])); !errors.Is(err, localapi.ErrWrongMasterKey) {
		t.Fatalf("the old key after the rotation: %v, want ErrWrongMasterKey", err)
	}
	if len(events) != 1 || events[0].TenantID != "" || events[0].Target != "2 values resealed" || events[0].Outcome != "ok" {
		t.Fatalf("rotation events %+v", events)
	}
	if e := fmt.Sprintf("%+v", events[0]); strings.Contains(e, old[0]) || strings.Contains(e, now[0]) {
		t.Fatal("the audit event holds a key")
	}
}

// A server's store open during a rotation made by another (an admin
// command) keeps reading and writing: it takes the new key from master.key
// at its next read or write, and writes nothing under the old one.
func TestAServingStoreFollowsARotationMadeBesideIt(t *testing.T) {
	dir := serverStore(t)
	srv, err := localapi.Open(dir, localapi.AsServer)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	team := defaultTeam(t, srv)
	admin, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RotateMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	// A read first (the value was resealed under a key the server has not
	// loaded), then a write.
	if v, err := srv.SecretValue(t.Context(), team, "A"); err != nil || string(v) != `"`+canary+`"` {
		t.Fatalf("read after the rotation: %s, %v", v, err)
	}
	if err := srv.PutSecret(t.Context(), team, "AFTER", json.RawMessage(`"after"`)); err != nil {
		t.Fatalf("write after the rotation: %v", err)
	}
	// And a write first, after a second rotation.
	admin, err = localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RotateMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	if err := srv.PutSecret(t.Context(), team, "AFTER2", json.RawMessage(`"after2"`)); err != nil {
		t.Fatalf("write after the second rotation: %v", err)
	}
	srv.Close()
	got := onlyKey(t, dir, decodeKey(t, keyLines(t, dir)[0]))
	if got["default/AFTER"] != `"after"` || got["default/AFTER2"] != `"after2"` || len(got) != 4 {
		t.Fatalf("values %v", got)
	}
}

// Writers keep writing through a serving store while rotations run beside
// it: no write fails, every acknowledged write is there afterwards, and
// every value opens with the last key alone (none is left under an old
// one).
func TestRotationUnderContinuousWrites(t *testing.T) {
	dir := serverStore(t)
	srv, err := localapi.Open(dir, localapi.AsServer)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	team := defaultTeam(t, srv)
	values := map[string]json.RawMessage{}
	for i := range 1000 {
		values[fmt.Sprintf("SEED_%04d", i)] = json.RawMessage(fmt.Sprintf(`"seed-%d"`, i))
	}
	if err := srv.PutSecrets(t.Context(), team, values); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[string]string{}
	var stop atomic.Bool
	var writes atomic.Int64
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				name := fmt.Sprintf("W%d_%05d", w, i)
				if i%4 == 0 {
					name = fmt.Sprintf("SEED_%04d", (i/4*3+w)%999) // replace values being resealed, each writer its own
				}
				v := fmt.Sprintf(`"w%d-%d"`, w, i)
				if err := srv.PutSecret(t.Context(), team, name, json.RawMessage(v)); err != nil {
					t.Errorf("write during rotations: %v", err)
					return
				}
				writes.Add(1)
				mu.Lock()
				acked["default/"+name] = v
				mu.Unlock()
				if i%5 == 0 { // and reads
					if got, err := srv.SecretValue(t.Context(), team, name); err != nil || string(got) != v {
						t.Errorf("read during rotations: %s, %v", got, err)
						return
					}
				}
			}
		})
	}
	admin, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for start := writes.Load(); writes.Load() < start+50 && !t.Failed(); {
			time.Sleep(time.Millisecond)
		}
		if _, err := admin.RotateMasterKey(t.Context()); err != nil {
			t.Error(err)
			break
		}
	}
	admin.Close()
	for start := writes.Load(); writes.Load() < start+50 && !t.Failed(); {
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	srv.Close()
	if t.Failed() {
		return
	}
	got := onlyKey(t, dir, decodeKey(t, keyLines(t, dir)[0]))
	for k, v := range acked {
		if got[k] != v {
			t.Fatalf("%s = %s after the rotations, want %s (acknowledged)", k, got[k], v)
		}
	}
	t.Logf("%d writes during 3 rotations of %d values, none failed, all there under the last key", writes.Load(), len(got))
}

// A crash at any point of a rotation leaves a store that opens, serves its
// values, takes writes, passes its check, and rotates again.
func TestRotationCrashAtAnyStepLeavesAStoreThatOpens(t *testing.T) {
	for _, step := range []string{localapi.StepFileHoldsBoth, localapi.StepResealed} {
		t.Run(step, func(t *testing.T) {
			dir := serverStore(t)
			old := keyLines(t, dir)[0]
			st, err := localapi.Open(dir, localapi.AsAdmin)
			if err != nil {
				t.Fatal(err)
			}
			before := values(t, st)
			undo := localapi.CrashRotationAfterForTest(step)
			_, err = st.RotateMasterKey(t.Context())
			undo()
			st.Close()
			if err == nil {
				t.Fatal("the rotation did not stop")
			}
			if lines := keyLines(t, dir); len(lines) != 2 || lines[1] != old {
				t.Fatalf("after the crash master.key holds %d keys (old second: %v), want new and old", len(lines), len(lines) == 2 && lines[1] == old)
			}

			// A server starts on it, as after a crash.
			srv, err := localapi.Open(dir, localapi.AsServer)
			if err != nil {
				t.Fatalf("open after a crash: %v", err)
			}
			if got := values(t, srv); !maps.Equal(got, before) {
				t.Fatalf("values after the crash %v, want %v", got, before)
			}
			if err := srv.PutSecret(t.Context(), defaultTeam(t, srv), "C", json.RawMessage(`"c"`)); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Check(t.Context()); err != nil {
				t.Fatal(err)
			}
			// and rotates again, beside the server.
			admin, err := localapi.Open(dir, localapi.AsAdmin)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := admin.RotateMasterKey(t.Context()); err != nil {
				t.Fatalf("rotation after the crash: %v", err)
			}
			admin.Close()
			if err := srv.PutSecret(t.Context(), defaultTeam(t, srv), "D", json.RawMessage(`"d"`)); err != nil {
				t.Fatal(err)
			}
			srv.Close()
			lines := keyLines(t, dir)
			if len(lines) != 1 {
				t.Fatalf("after the second rotation master.key holds %d keys", len(lines))
			}
			before["default/C"], before["default/D"] = `"c"`, `"d"`
			if got := onlyKey(t, dir, decodeKey(t, lines[0])); !maps.Equal(got, before) {
				t.Fatalf("values %v, want %v", got, before)
			}
		})
	}
}

// snapshot is what a refused rotation must leave as it was: master.key's
// bytes and every sealed value.
func snapshot(t *testing.T, dir string, st *localapi.Store) (string, map[string]string) {
	t.Helper()
	key, err := os.ReadFile(filepath.Join(dir, localapi.MasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := localapi.SealedForTest(t.Context(), st)
	if err != nil {
		t.Fatal(err)
	}
	return string(key), sealed
}

// A value that does not open with the current key stops the rotation
// before anything changes, and is named (never shown).
func TestRotationRefusesAValueThatDoesNotOpenAndChangesNothing(t *testing.T) {
	dir := serverStore(t)
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	team := defaultTeam(t, st)
	if err := localapi.PutSealedForTest(t.Context(), st, team, "ZZ_DAMAGED", bytes.Repeat([]byte{7}, 40)); err != nil {
		t.Fatal(err)
	}
	keyBefore, sealedBefore := snapshot(t, dir, st)
	_, err = st.RotateMasterKey(t.Context())
	if !errors.Is(err, localapi.ErrUnreadableValue) || !strings.Contains(err.Error(), "default/ZZ_DAMAGED") {
		t.Fatalf("rotation over a damaged value: %v, want ErrUnreadableValue naming it", err)
	}
	if strings.Contains(err.Error(), canary) {
		t.Fatal("the refusal shows a value")
	}
	keyAfter, sealedAfter := snapshot(t, dir, st)
	if keyAfter != keyBefore || !maps.Equal(sealedAfter, sealedBefore) {
		t.Fatal("a refused rotation changed master.key or a value")
	}
	if ev := rotationEvents(t, st); len(ev) != 0 {
		t.Fatalf("a refused rotation was recorded: %+v", ev)
	}
	// The store still works under its key.
	if v, err := st.SecretValue(t.Context(), team, "A"); err != nil || string(v) != `"`+canary+`"` {
		t.Fatalf("after the refusal: %v", err)
	}
}

// A key source that no longer holds the store's key (replaced, or gone)
// refuses the rotation, changing nothing.
func TestRotationRefusesAWrongOrMissingCurrentKey(t *testing.T) {
	dir := serverStore(t)
	keyPath := filepath.Join(dir, localapi.MasterKeyFile)
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	right, sealedBefore := snapshot(t, dir, st)

	wrong := randomKeyBase64() + "\n"
	if err := os.WriteFile(keyPath, []byte(wrong), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RotateMasterKey(t.Context()); !errors.Is(err, localapi.ErrWrongMasterKey) {
		t.Fatalf("rotation with a wrong master.key: %v, want ErrWrongMasterKey", err)
	}
	if b, _ := os.ReadFile(keyPath); string(b) != wrong {
		t.Fatal("a refused rotation changed master.key")
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RotateMasterKey(t.Context()); !errors.Is(err, localapi.ErrMasterKeyMissing) {
		t.Fatalf("rotation without master.key: %v, want ErrMasterKeyMissing", err)
	}
	if _, err := os.Stat(keyPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused rotation made a master.key")
	}
	if err := os.WriteFile(keyPath, []byte(right), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, sealed := snapshot(t, dir, st); !maps.Equal(sealed, sealedBefore) {
		t.Fatal("a refused rotation changed values")
	}
	if ev := rotationEvents(t, st); len(ev) != 0 {
		t.Fatalf("a refused rotation was recorded: %+v", ev)
	}
}

// With keys in the environment (several instances): an instance given the
// ring NEW,OLD still seals under OLD, which opens the store; the rotation
// moves everything to NEW, after which the instance seals under NEW; NEW
// alone then opens everything. master.key is never made.
func TestRotationWithAKeyRingInTheEnvironment(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{0x11}, 32), bytes.Repeat([]byte{0x22}, 32)
	b64 := base64.StdEncoding.EncodeToString
	dir := filepath.Join(t.TempDir(), "data")
	t.Setenv(localapi.MasterKeyEnv, b64(oldKey))
	st, err := localapi.Open(dir, localapi.AsServer)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := localapi.Bootstrap(t.Context(), st, ""); err != nil {
		t.Fatal(err)
	}
	team := defaultTeam(t, st)
	if err := st.PutSecret(t.Context(), team, "A", json.RawMessage(`"a"`)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RotateMasterKey(t.Context()); !errors.Is(err, localapi.ErrNothingToRotate) {
		t.Fatalf("rotation with one key in the environment: %v, want ErrNothingToRotate", err)
	}
	st.Close()

	// Step 2: the instance restarts with the ring; it still seals under OLD.
	t.Setenv(localapi.MasterKeyEnv, b64(newKey)+", "+b64(oldKey))
	inst, err := localapi.Open(dir, localapi.AsServer)
	if err != nil {
		t.Fatalf("open with the ring NEW,OLD: %v", err)
	}
	defer inst.Close()
	if err := inst.PutSecret(t.Context(), team, "B", json.RawMessage(`"b"`)); err != nil {
		t.Fatal(err)
	}
	sealed, _ := localapi.SealedForTest(t.Context(), inst)
	if len(sealed) != 2 {
		t.Fatalf("%d values", len(sealed))
	}
	// Step 3: the rotation, from an admin command with the same ring.
	admin, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	r, err := admin.RotateMasterKey(t.Context())
	if err != nil || r.Source != localapi.MasterKeyEnv || r.Values != 2 {
		t.Fatalf("rotation with the ring: %+v, %v", r, err)
	}
	if _, err := admin.RotateMasterKey(t.Context()); !errors.Is(err, localapi.ErrNothingToRotate) {
		t.Fatalf("a second rotation with the same ring: %v, want ErrNothingToRotate", err)
	}
	admin.Close()
	// The instance writes and reads on, now under NEW.
	if err := inst.PutSecret(t.Context(), team, "C", json.RawMessage(`"c"`)); err != nil {
		t.Fatal(err)
	}
	if v, err := inst.SecretValue(t.Context(), team, "A"); err != nil || string(v) != `"a"` {
		t.Fatalf("read after the rotation: %s, %v", v, err)
	}
	inst.Close()
	// Step 4: NEW alone.
	t.Setenv(localapi.MasterKeyEnv, "")
	if got := onlyKey(t, dir, newKey); len(got) != 3 || got["default/C"] != `"c"` {
		t.Fatalf("values under NEW alone: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, localapi.MasterKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a rotation from the environment wrote master.key")
	}
}

// A ring whose keys all miss the store is refused saying how many keys it
// tried; a malformed ring says which key, never what it holds.
func TestKeyRingErrorsNameTheKeyNeverItsText(t *testing.T) {
	dir := serverStore(t)
	t.Setenv(localapi.MasterKeyEnv, randomKeyBase64()+","+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32)))
	refused(t, dir, localapi.ErrWrongMasterKey, "none of the 2 master keys from TEAMSECRETS_MASTER_KEY", "none opens the store's key check")
	bad := "c2VjcmV0LXNob3J0"
	t.Setenv(localapi.MasterKeyEnv, randomKeyBase64()+","+bad)
	_, err := localapi.Open(dir, localapi.AsAdmin)
	if err == nil || !strings.Contains(err.Error(), "key 2 of 2") || strings.Contains(err.Error(), bad) {
		t.Fatalf("a malformed second key: %v", err)
	}
	// master.key with the store's key second opens it.
	t.Setenv(localapi.MasterKeyEnv, "")
	keyPath := filepath.Join(dir, localapi.MasterKeyFile)
	right, _ := os.ReadFile(keyPath)
	if err := os.WriteFile(keyPath, []byte(randomKeyBase64()+"\n"+string(right)), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatalf("master.key with the store's key second: %v", err)
	}
	st.Close()
}

// A store whose key is given by its caller has no source to rotate.
func TestRotationNeedsAKeySource(t *testing.T) {
	st, err := localapi.OpenStore(t.TempDir(), bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.RotateMasterKey(context.Background()); !errors.Is(err, localapi.ErrNothingToRotate) {
		t.Fatalf("%v, want ErrNothingToRotate", err)
	}
}

// storeOf10k is a file-keyed store holding 10,000 secrets of about 100
// bytes, in 10 teams, open as an admin command opens it.
func storeOf10k(b *testing.B) (*localapi.Store, string) {
	b.Helper()
	b.Setenv(localapi.MasterKeyEnv, "")
	dir := filepath.Join(b.TempDir(), "data")
	st, err := localapi.Open(dir, localapi.AsServer)
	if err != nil {
		b.Fatal(err)
	}
	for t := range 10 {
		team, err := st.CreateTenant(b.Context(), fmt.Sprintf("team-%d", t), "")
		if err != nil {
			b.Fatal(err)
		}
		values := map[string]json.RawMessage{}
		for i := range 1000 {
			values[fmt.Sprintf("SECRET_%04d", i)] = json.RawMessage(fmt.Sprintf(`"%090d"`, i))
		}
		if err := st.PutSecrets(b.Context(), team.ID, values); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if st, err = localapi.Open(dir, localapi.AsAdmin); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st, dir
}

// go test -run '^$' -bench BenchmarkRotateMasterKey10k ./localapi
func BenchmarkRotateMasterKey10k(b *testing.B) {
	st, _ := storeOf10k(b)
	for b.Loop() {
		r, err := st.RotateMasterKey(b.Context())
		if err != nil || r.Values != 10000 {
			b.Fatal(r, err)
		}
	}
}

// An instance that was not given the new key before the rotation writes
// nothing afterwards (not under the old key either), and its error says
// what to do.
func TestAnInstanceWithoutTheNewKeyWritesNothingAfterARotation(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{0x33}, 32), bytes.Repeat([]byte{0x44}, 32)
	b64 := base64.StdEncoding.EncodeToString
	dir := filepath.Join(t.TempDir(), "data")
	t.Setenv(localapi.MasterKeyEnv, b64(oldKey))
	inst, err := localapi.Open(dir, localapi.AsServer)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	if _, _, err := localapi.Bootstrap(t.Context(), inst, ""); err != nil {
		t.Fatal(err)
	}
	team := defaultTeam(t, inst)
	if err := inst.PutSecret(t.Context(), team, "A", json.RawMessage(`"a"`)); err != nil {
		t.Fatal(err)
	}
	t.Setenv(localapi.MasterKeyEnv, b64(newKey)+","+b64(oldKey))
	admin, err := localapi.Open(dir, localapi.AsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.RotateMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The instance's environment still holds the old key alone.
	t.Setenv(localapi.MasterKeyEnv, b64(oldKey))
	for range 2 { // the second within the pause after a failed refresh
		err := inst.PutSecret(t.Context(), team, "LATE", json.RawMessage(`"late"`))
		if err == nil || !strings.Contains(err.Error(), "rotated to a key that TEAMSECRETS_MASTER_KEY does not hold") {
			t.Fatalf("write without the new key: %v", err)
		}
		if _, err := inst.SecretValue(t.Context(), team, "A"); err == nil || !strings.Contains(err.Error(), "does not hold") {
			t.Fatalf("read without the new key: %v", err)
		}
	}
	if ok, _ := admin.SecretNames(t.Context(), team); len(ok) != 1 {
		t.Fatalf("names after refused writes: %v", ok)
	}
}
