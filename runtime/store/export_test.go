package store

import bolt "go.etcd.io/bbolt"

// BoltRecordCount returns the number of records in b's file, expired or
// not, for tests of the sweeper.
func BoltRecordCount(b *Bolt) int {
	n := 0
	_ = b.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{claimsBucket, ordersBucket} {
			n += tx.Bucket(name).Stats().KeyN
		}
		return nil
	})
	return n
}
