import json
def test_probe(shop):
    for f in shop.report["findings"]:
        print(f["severity"], f["rule"], f["objects"], f["message"][:150])
    print(shop.report["notes"], shop.report["skipped"])
    print(shop.stderr)
    import os; print(sorted(os.listdir(shop.output)))
