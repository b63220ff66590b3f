"""An independent RFC 9421 client for keygate's tests: the PyPI library http-message-signatures
(tested with 3.0.0) signs requests the way any Python client of keygate would, and verifies
signatures keygate's own client helper made.

Reads one JSON object on stdin: {"sign": [job, ...], "verify": [job, ...]}. A sign job is
{"alg": "hmac-sha256" | "ed25519", "key": base64 (HMAC secret, or Ed25519 private key seed),
 "keyid", "method", "url", "body", "created", "nonce"}; it answers the request's signature fields.
A verify job is {"alg", "key" (HMAC secret or Ed25519 public key, base64), "method", "url", "body",
"headers"}; it answers whether the library accepts the signature. Writes {"signed": [...],
"verified": [...]} on stdout.
"""

import base64
import datetime
import json
import sys

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, HTTPSignatureKeyResolver, algorithms

COMPONENTS = ("@method", "@authority", "@path", "@query", "content-digest")


class Keys(HTTPSignatureKeyResolver):
    def __init__(self, private, public):
        self.private, self.public = private, public

    def resolve_private_key(self, key_id):
        return self.private

    def resolve_public_key(self, key_id):
        return self.public


def algorithm(name):
    return {"hmac-sha256": algorithms.HMAC_SHA256, "ed25519": algorithms.ED25519}[name]


def prepared(job, headers=None):
    request = requests.Request(job["method"], job["url"], data=job["body"].encode(), headers=headers or {})
    return request.prepare()


def sign(job):
    key = base64.b64decode(job["key"])
    if job["alg"] == "ed25519":
        key = Ed25519PrivateKey.from_private_bytes(key)
    request = prepared(job)
    body = request.body or b""
    signer = HTTPMessageSigner(signature_algorithm=algorithm(job["alg"]), key_resolver=Keys(key, None))
    covered = COMPONENTS if body else COMPONENTS[:-1]
    signer.sign(
        request,
        key_id=job["keyid"],
        created=datetime.datetime.fromtimestamp(job["created"], datetime.timezone.utc),
        nonce=job["nonce"],
        label="sig1",
        covered_component_ids=covered,
        body=body if body else None,
    )
    fields = {"signature-input": request.headers["Signature-Input"], "signature": request.headers["Signature"]}
    if "Content-Digest" in request.headers:
        fields["content-digest"] = request.headers["Content-Digest"]
    return fields


def verify(job):
    key = base64.b64decode(job["key"])
    if job["alg"] == "ed25519":
        key = Ed25519PublicKey.from_public_bytes(key)
    request = prepared(job, job["headers"])
    verifier = HTTPMessageVerifier(signature_algorithm=algorithm(job["alg"]), key_resolver=Keys(None, key))
    try:
        results = verifier.verify(request, body=request.body or b"", max_age=datetime.timedelta(days=1))
        return len(results) == 1
    except Exception as error:  # the library's refusal, reported to the test
        return f"refused: {error}"


def main():
    jobs = json.load(sys.stdin)
    json.dump({"signed": [sign(j) for j in jobs.get("sign", [])],
               "verified": [verify(j) for j in jobs.get("verify", [])]}, sys.stdout)


if __name__ == "__main__":
    main()
