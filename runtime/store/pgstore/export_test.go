package pgstore

// MaxConns returns the size of s's pool, for tests.
func MaxConns(s *Store) int32 { return s.pool.Config().MaxConns }
