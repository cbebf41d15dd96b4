"""Calls every read operation of the API through a client generated from
its own OpenAPI document (openapi-python-client), as the main account and
as a sub-account, and requires every answer to parse into the generated
models. Run by scripts/generated-client.sh, which generates the client.

Reads are the operations the document marks `x-billing-writes: false` (the
action registry's own word); each must have a request below, so a new read
cannot go untested.
"""
import importlib
import json
import sys
import typing
import urllib.request

BASE, PACKAGE_DIR, MAIN_COOKIE, SUB_COOKIE = sys.argv[1:5]
sys.path.insert(0, PACKAGE_DIR)
client_mod = importlib.import_module("billing_resources_api_client")

REQUESTS = {
    "DescribeIdentity": {},
    "DescribeServerInfo": {},
    "DescribeResources": {"Tab": "PayAsYouGo", "PageNumber": 1, "PageSize": 20},
    "DescribeAccountSummary": {},
    "DescribeKnowledgeUsage": {},
    "DescribePostpaidSetting": {},
    "DescribeSubAccountPermissions": {},
    "DescribeNotices": {"PageNumber": 1, "PageSize": 50},
    "DescribeReminderOutbox": {"PageNumber": 1, "PageSize": 50},
    "DescribeUsageHistory": {"Kind": "TokenPackage", "Granularity": "Day", "ByPool": True},
    "DescribeDeductions": {"PageNumber": 1, "PageSize": 50},
    "DescribeBills": {"PageNumber": 1, "PageSize": 50},
    "DescribeWebhooks": {},
}
# Extra requests that reach other shapes of the same answers.
MORE = {
    "DescribeResources": [
        {"Tab": "Concurrency", "PageNumber": 1, "PageSize": 20},
        {"Tab": "KnowledgeBase", "PageNumber": 1, "PageSize": 20},
        {"Tab": "PayAsYouGo", "Status": "Expired", "PageNumber": 1, "PageSize": 20},
    ],
    "DescribeUsageHistory": [{"Kind": "SearchPackage", "Granularity": "Hour"}],
}


def snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


doc = json.load(urllib.request.urlopen(f"{BASE}/api/openapi.json"))
reads = sorted(
    path.rsplit("/", 1)[1]
    for path, item in doc["paths"].items()
    if "post" in item and item["post"].get("x-billing-writes") is False
)
missing = [r for r in reads if r not in REQUESTS]
if missing:
    sys.exit(f"no request for these read operations: {missing}")

ok = failed = 0
for who, cookie in (("main account", MAIN_COOKIE), ("sub-account", SUB_COOKIE)):
    client = client_mod.Client(base_url=BASE, cookies={"billing_session": cookie})
    for action in reads:
        mod = importlib.import_module(f"billing_resources_api_client.api.billing.{snake(action)}")
        body_type = typing.get_type_hints(mod.sync_detailed)["body"]
        for req in [REQUESTS[action]] + MORE.get(action, []):
            try:
                resp = mod.sync_detailed(client=client, body=body_type.from_dict(req))
                parsed = resp.parsed
                # An answer the console may not read (a sub-account's
                # refusal) must parse too, as the error model.
                if parsed is None:
                    raise ValueError(f"HTTP {resp.status_code} did not parse: {resp.content[:300]!r}")
                ok += 1
                print(f"    {who}: {action} {resp.status_code} -> {type(parsed).__name__}")
            except Exception as e:  # noqa: BLE001 - every failure is reported
                failed += 1
                print(f"    {who}: {action} FAILED: {e!r}", file=sys.stderr)

print(f"generated client: {len(reads)} read operations, {ok} answers parsed, {failed} failed")
print(f"{ok} passed, {failed} failed")
sys.exit(1 if failed else 0)
