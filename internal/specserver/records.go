package specserver

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// recordsBucket holds the deliveries serve recorded, keyed by sequence.
var recordsBucket = []byte("hookgen-deliveries")

// Record is one delivery that serve accepted and handed to its handler.
type Record struct {
	Seq        uint64              `json:"seq"`
	Family     string              `json:"family"`
	Webhook    string              `json:"webhook"`
	Event      string              `json:"event"`
	Key        string              `json:"key"`
	DeliveryID string              `json:"delivery_id"`
	Attempt    int                 `json:"attempt"`
	ReceivedAt time.Time           `json:"received_at"`
	Header     map[string][]string `json:"headers"`
	// Payload is the raw JSON body, or for query-encoded deliveries the
	// JSON document built from the query.
	Payload json.RawMessage `json:"payload"`
}

// recorder stores records: in a bbolt file, or in memory.
type recorder struct {
	db *bolt.DB // nil for memory

	mu  sync.Mutex
	mem []Record
	seq uint64
}

func openRecorder(path string) (*recorder, error) {
	if path == "" {
		return &recorder{}, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create store directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open delivery records %s: %w (is another hookgen serve using it?)", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(recordsBucket)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open delivery records %s: %w", path, err)
	}
	return &recorder{db: db}, nil
}

// add stores r, assigning its sequence number; the record is fsynced before
// add returns.
func (rc *recorder) add(r Record) error {
	if rc.db == nil {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.seq++
		r.Seq = rc.seq
		rc.mem = append(rc.mem, r)
		return nil
	}
	return rc.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(recordsBucket)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		r.Seq = seq
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], seq)
		return b.Put(k[:], v)
	})
}

func (rc *recorder) list() ([]Record, error) {
	if rc.db == nil {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		return slices.Clone(rc.mem), nil
	}
	return listBolt(rc.db)
}

func (rc *recorder) close() error {
	if rc.db == nil {
		return nil
	}
	return rc.db.Close()
}

func listBolt(db *bolt.DB) ([]Record, error) {
	var out []Record
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(recordsBucket)
		if b == nil {
			return errNoRecords
		}
		return b.ForEach(func(_, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

var errNoRecords = errors.New("not a hookgen serve delivery store")

// ReadRecords reads the deliveries recorded at path: a store file written
// by serve, or a directory of them (every *.db holding records). family,
// when set, keeps only that family's records. The file must not be open in
// a running serve (bbolt locks it); the error then says so.
func ReadRecords(path, family string) ([]Record, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	files := []string{path}
	if st.IsDir() {
		files, err = filepath.Glob(filepath.Join(path, "*.db"))
		if err != nil {
			return nil, err
		}
		slices.Sort(files)
	}
	var out []Record
	found := false
	for _, f := range files {
		db, err := bolt.Open(f, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			if errors.Is(err, bolterrors.ErrTimeout) {
				return nil, fmt.Errorf("%s is locked by a running hookgen serve: stop it first (bbolt allows one process per file)", f)
			}
			return nil, fmt.Errorf("open %s: %w", f, err)
		}
		recs, err := listBolt(db)
		_ = db.Close()
		if errors.Is(err, errNoRecords) {
			if !st.IsDir() {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			continue // an idempotency or quarantine file next to the records
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		found = true
		for _, r := range recs {
			if family == "" || r.Family == family {
				out = append(out, r)
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("%s holds no hookgen serve delivery records", path)
	}
	slices.SortStableFunc(out, func(a, b Record) int { return a.ReceivedAt.Compare(b.ReceivedAt) })
	return out, nil
}

// withoutCredentials copies h without the named headers.
func withoutCredentials(h http.Header, drop []string) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		if slices.Contains(drop, http.CanonicalHeaderKey(k)) || strings.EqualFold(k, "X-Api-Key") {
			continue
		}
		out[k] = slices.Clone(v)
	}
	return out
}
