// Package api is MeshHold's REST API under /api/v1: the route table and its access rules, the
// HTTP conventions every route shares, and (one file per theme) the handlers.
//
// Conventions, all with a JSON body {"error": "…"}:
//   - a path no route takes: 404 "no such route" (a handler's missing resource is also 404,
//     with its own message, e.g. "vault not found");
//   - a known path with a method it does not take: 405 with an Allow header listing exactly the
//     methods served there, sorted, including HEAD (served as GET) and OPTIONS;
//   - OPTIONS on a known path: 204 with the same Allow header, without credentials and without
//     CORS headers (the Web UI is same-origin, so cross-origin browsers stay refused);
//   - a body whose media type the route does not take: 415 (JSON routes take application/json
//     in UTF-8, Multipart routes multipart/form-data, Raw routes anything; no body always passes);
//   - a panic: 500 "internal error", the stack in the log;
//   - domain errors: the single table in errors.go; 5xx bodies never carry internals.
package api
