"""A small knowledge-base service behind Portico, standard library only.

It keeps documents per organisation, answers questions from them by keyword, and trusts a
request exactly when its Portico-Identity token verifies (HS256 with PORTICO_KB_SECRET, issuer
"portico", audience "kb", not expired, and bound to this request's method, path and body).

    PORTICO_KB_SECRET=... python3 kb_server.py            # listens on 127.0.0.1:8000 (KB_PORT)

When PORTICO_URL and PORTICO_SERVICE_KEY are set, indexing a document sends the event
kb.document_indexed through Portico (POST /api/v1/platform/events), which delivers it to the
organisation's webhooks. KB_DEBUG=1 adds GET /_debug/requests: what reached the service.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AUDIENCE = "kb"
MAX_BODY = 1024 * 1024
WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = {"a", "an", "and", "are", "do", "does", "for", "how", "i", "in", "is", "it", "of", "on", "or", "the", "to", "what", "when", "where", "which", "who", "why", "with"}


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_identity(token, secret, method, path, body):
    """The claims of a valid Portico-Identity token for this request, or raise ValueError."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(payload_b64))
        signature = b64url_decode(signature_b64)
    except (ValueError, json.JSONDecodeError):
        raise ValueError("malformed token")
    if header.get("alg") != "HS256":
        raise ValueError("unexpected algorithm")
    expected = hmac.new(secret, f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise ValueError("bad signature")
    now = time.time()
    if claims.get("iss") != "portico" or claims.get("aud") != AUDIENCE:
        raise ValueError("wrong issuer or audience")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
        raise ValueError("expired")
    if claims.get("method") != method or claims.get("path") != path:
        raise ValueError("token is for another request")
    if claims.get("body_sha256") != hashlib.sha256(body).hexdigest():
        raise ValueError("body does not match the token")
    return claims


def words(text):
    return [w for w in WORD.findall(text.lower()) if w not in STOP_WORDS]


class Store:
    """Documents per organisation, in memory."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_org = {}

    def add(self, org_id, title, text):
        doc = {"id": str(uuid.uuid4()), "title": title, "text": text, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with self.lock:
            self.by_org.setdefault(org_id, {})[doc["id"]] = doc
        return doc

    def list(self, org_id):
        with self.lock:
            return list(self.by_org.get(org_id, {}).values())

    def get(self, org_id, doc_id):
        with self.lock:
            return self.by_org.get(org_id, {}).get(doc_id)

    def delete(self, org_id, doc_id):
        with self.lock:
            return self.by_org.get(org_id, {}).pop(doc_id, None)

    def query(self, org_id, question, limit=3):
        wanted = set(words(question))
        scored = []
        for doc in self.list(org_id):
            text_words = words(doc["title"] + " " + doc["text"])
            score = sum(1 for w in text_words if w in wanted)
            if score:
                scored.append((score, doc))
        scored.sort(key=lambda s: -s[0])
        sources = [doc for _, doc in scored[:limit]]
        if not sources:
            return {"answer": None, "sources": []}
        best = sources[0]
        sentences = re.split(r"(?<=[.!?])\s+", best["text"])
        answer = max(sentences, key=lambda s: sum(1 for w in words(s) if w in wanted))
        return {"answer": answer, "sources": [{"id": d["id"], "title": d["title"]} for d in sources]}


def emit_event(org_id, event_type, data):
    """Sends an event through Portico's platform API, when a service key is configured."""
    base, key = os.environ.get("PORTICO_URL"), os.environ.get("PORTICO_SERVICE_KEY")
    if not base or not key:
        return

    def send():
        body = json.dumps({"org_id": org_id, "type": event_type, "data": data}).encode()
        request = urllib.request.Request(base.rstrip("/") + "/api/v1/platform/events", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                answer.read()
        except Exception as error:  # the document is indexed either way; the event is best effort
            print(f"kb: could not send {event_type}: {error}", file=sys.stderr, flush=True)

    threading.Thread(target=send, daemon=True).start()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kb/1.0"
    store = Store()
    secret = b""
    debug = False
    seen = []

    def log_message(self, fmt, *args):
        if os.environ.get("KB_LOG") == "1":
            super().log_message(fmt, *args)

    def send_json(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_error_envelope(self, status, code, message):
        """Errors in Portico's envelope, with Portico's request id: callers see one error shape."""
        request_id = self.headers.get("Portico-Request-Id", "")
        self.send_json(status, {"error": {"code": code, "message": message, "request_id": request_id}})

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def handle_any(self, method):
        body = self.read_body()
        path, _, query = self.path.partition("?")
        if self.debug and path == "/_debug/requests":
            return self.send_json(200, {"data": self.seen})
        if self.debug:
            self.seen.append({"method": method, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body.decode("utf-8", "replace")})
        try:
            claims = verify_identity(self.headers.get("Portico-Identity", ""), self.secret, method, self.path, body)
        except ValueError as error:
            return self.send_error_envelope(401, "invalid_identity", f"untrusted request: {error}")
        org = claims["org_id"]
        params = dict(p.split("=", 1) if "=" in p else (p, "") for p in query.split("&") if p)

        if path == "/v1/documents" and method == "GET":
            return self.send_json(200, {"data": self.store.list(org)})
        if path == "/v1/documents" and method == "POST":
            doc = json.loads(body or b"{}")
            created = self.store.add(org, doc.get("title", ""), doc.get("text", ""))
            emit_event(org, "kb.document_indexed", {"id": created["id"], "title": created["title"]})
            return self.send_json(201, created)
        match = re.fullmatch(r"/v1/documents/([0-9a-f-]{36})", path)
        if match and method == "GET":
            doc = self.store.get(org, match.group(1))
            return self.send_json(200, doc) if doc else self.send_error_envelope(404, "not_found", "Document not found")
        if match and method == "DELETE":
            doc = self.store.delete(org, match.group(1))
            return self.send_json(200, doc) if doc else self.send_error_envelope(404, "not_found", "Document not found")
        if path == "/v1/query" and method == "POST":
            question = json.loads(body or b"{}").get("question", "")
            return self.send_json(200, self.store.query(org, question))
        if path == "/v1/export" and method == "GET":
            return self.export(org, int(params.get("delay_ms", "0") or 0))
        return self.send_error_envelope(404, "not_found", "No such route")

    def export(self, org, delay_ms):
        """Every document as one JSON line each, streamed (chunked) as it is written."""
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        lines = [json.dumps({"type": "start"})] + [json.dumps(d) for d in self.store.list(org)] + [json.dumps({"type": "end"})]
        for i, line in enumerate(lines):
            if i and delay_ms:
                time.sleep(min(delay_ms, 250) / 1000)
            chunk = (line + "\n").encode()
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def dispatch(self, method):
        try:
            self.handle_any(method)
        except (ValueError, RecursionError) as error:  # a body that is not the JSON it should be, or too large
            self.send_error_envelope(400, "validation_error", str(error))

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")


def main():
    secret = os.environ.get("PORTICO_KB_SECRET")
    if not secret:
        print("kb: PORTICO_KB_SECRET is not set", file=sys.stderr)
        return 78
    Handler.secret = secret.encode("utf-8")
    Handler.debug = os.environ.get("KB_DEBUG") == "1"
    host, port = os.environ.get("KB_HOST", "127.0.0.1"), int(os.environ.get("KB_PORT", "8000"))
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    print(f"kb listening on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
