// Package files moves a file's bytes between HTTP and the block store: Ingest streams an
// upload body through the chunker, the convergent cipher (on worker goroutines) and the block
// store while hashing it; Reader decrypts a stored version block by block with one block of
// read-ahead; Serve answers GET (download and stream) with ranges, conditionals and a
// Content-Disposition. Nothing here holds a whole file in memory or talks to an actor: the
// HTTP routes ask the vault for a grant or a manifest and hand it over.
package files
