"""Schemathesis hooks for scripts/schemathesis.sh.

- Citizen routes: `POST /v1/ideas` answers each idea's `citizen_token`, and the OpenAPI links
  lead from there to `GET`/`DELETE /v1/ideas/{id}`, its consent and export. Schemathesis cannot
  carry a credential along a link, so the tokens are remembered here and sent with requests for
  those ideas in place of the drawn credentials; any other id goes with what was drawn (and
  answers 404).
- `POST /v1/ideas` remembers an `Idempotency-Key` for 24 hours and answers 422 when the same key
  comes again with another body (as the IETF Idempotency-Key draft says). Schemathesis draws few
  distinct keys ("0", "00", ...) for many bodies, so each valid key it sends is made unique;
  malformed keys are left as drawn, so their 400 is still tested.
"""

import re
import threading
import uuid

import schemathesis

VALID_KEY = re.compile(r"[!-~]{1,255}")
CITIZEN_PATH = "/v1/ideas/{id}"

tokens = {}
tokens_lock = threading.Lock()


@schemathesis.hook
def before_call(context, case, kwargs):
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.fullmatch(key):
        case.headers["Idempotency-Key"] = f"{uuid.uuid4().hex}-{key}"[:255]
    if case.operation.path.startswith(CITIZEN_PATH):
        with tokens_lock:
            token = tokens.get(str((case.path_parameters or {}).get("id")))
        # Only credentials that were drawn are replaced: a request sent without any (as the
        # missing-header check does) stays without.
        if token is not None and "Authorization" in (case.headers or {}):
            case.headers["Authorization"] = f"Bearer {token}"


@schemathesis.hook
def after_call(context, case, response):
    if case.method.upper() == "POST" and case.operation.path == "/v1/ideas" and response.status_code == 201:
        receipt = response.json()
        with tokens_lock:
            tokens[receipt["id"]] = receipt["citizen_token"]
