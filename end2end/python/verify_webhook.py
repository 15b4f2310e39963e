"""Verifies one webhook delivery with the Standard Webhooks reference library, as a product's
Python backend would. Reads {"secret", "headers", "body"} as JSON on stdin; prints the verified
payload's type, or exits non-zero with the library's reason."""

import json
import sys

from standardwebhooks.webhooks import Webhook

delivery = json.load(sys.stdin)
try:
    payload = Webhook(delivery["secret"]).verify(delivery["body"], delivery["headers"])
except Exception as e:  # the library's WebhookVerificationError, or a malformed header
    print(f"rejected: {e}")
    sys.exit(1)
print(payload["type"])
