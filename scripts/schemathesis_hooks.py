"""Schemathesis hooks for scripts/schemathesis.sh.

- Citizen routes: `POST /v1/ideas` answers each idea's `citizen_token`, and the OpenAPI links
  lead from there to `GET`/`DELETE /v1/ideas/{id}`, its consent and export. Schemathesis cannot
  carry a credential along a link, so the tokens are remembered here and sent with requests for
  those ideas in place of the drawn credentials; any other id goes with what was drawn (and
  answers 404).
- Bodies that name networks (a partner key's, an initiative's, the network to route to) name
  networks of the built-in catalog instead of drawn slugs, and a `PUT` of a catalog entry
  repeats the path's slug, so that those operations get past the checks against stored data
  and are tested further. A drawn slug always maps to the same network, so repeated slugs stay
  repeated; values that are no slug at all are left as drawn.
- `POST /v1/ideas` remembers an `Idempotency-Key` for 24 hours and answers 422 when the same key
  comes again with another body (as the IETF Idempotency-Key draft says). Schemathesis draws few
  distinct keys ("0", "00", ...) for many bodies, so each valid key it sends is made unique;
  malformed keys are left as drawn, so their 400 is still tested.
"""

import json
import pathlib
import re
import threading
import uuid
import zlib

import schemathesis

VALID_KEY = re.compile(r"[!-~]{1,255}")
CITIZEN_PATH = "/v1/ideas/{id}"

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
CATALOG = pathlib.Path(__file__).resolve().parent.parent / "catalog" / "aalborg.json"
NETWORKS = sorted(network["slug"] for network in json.loads(CATALOG.read_text())["networks"])
CATALOG_PUTS = ("update_network", "update_initiative", "update_beacon")

tokens = {}
tokens_lock = threading.Lock()


def known_network(value):
    """A network of the catalog for a drawn slug, the same one each time; anything else as is."""
    if isinstance(value, str) and SLUG.fullmatch(value):
        return NETWORKS[zlib.crc32(value.encode()) % len(NETWORKS)]
    return value


def name_known_networks(operation_id, body, path_parameters):
    if not isinstance(body, dict):
        return
    if operation_id == "create_api_key" and isinstance(body.get("networks"), list):
        body["networks"] = [known_network(slug) for slug in body["networks"]]
    if operation_id in ("create_initiative", "update_initiative", "route_idea") and "network" in body:
        body["network"] = known_network(body["network"])
    if operation_id in CATALOG_PUTS:
        slug = path_parameters.get("slug")
        if isinstance(slug, str) and SLUG.fullmatch(slug) and SLUG.fullmatch(str(body.get("slug"))):
            body["slug"] = slug


@schemathesis.hook
def before_call(context, case, kwargs):
    operation_id = case.operation.definition.raw.get("operationId")
    name_known_networks(operation_id, case.body, case.path_parameters or {})
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
