// Package folder mirrors a folder vault's server folder into the vault and back: a Scanner per
// vault walks the folder at start and every Rescan, watches every directory with fsnotify and
// ingests what changed (once a path has been quiet for Debounce) through the same pipeline as
// an API upload, tombstones what is gone, and writes the versions committed through the API
// into the folder (Mirror). Folders keeps one Scanner per folder vault of the node.
//
// A folder vault IS its folder: every live path of the vault is mirrored, so a file missing
// from the folder is deleted from the vault (a tombstone; its history stays per retention).
// Only regular files are mirrored: symlinks are never followed (the folder itself may be one),
// and FIFOs, sockets and devices are skipped. The temp files Mirror writes
// (.<name>.meshhold-tmp-*) are ignored. A file is compared by size and mtime (ms) with its
// vault entry; a file that changes while it is read is not committed, and is read again once
// quiet.
//
// It is an edge worker, not a core: it does file I/O and asks the vault actor, like the API.
package folder
